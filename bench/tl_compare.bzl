"""wasm_files: the outputs of targets built for WebAssembly inside a native build.

`./bazelw run -c opt //bench:tl_compare` needs the native benchmark and the
wasm build of the same code in one run. A Starlark transition switches its
`srcs` to the Emscripten toolchain (the settings --config=wasm uses), keeping
the compilation mode.
"""

def _to_wasm_impl(settings, attr):
    return {
        "//command_line_option:crosstool_top": "//toolchain/emscripten:suite",
        "//command_line_option:cpu": "wasm",
        "//command_line_option:host_crosstool_top": "@bazel_tools//tools/cpp:toolchain",
    }

_to_wasm = transition(
    implementation = _to_wasm_impl,
    inputs = [],
    outputs = [
        "//command_line_option:crosstool_top",
        "//command_line_option:cpu",
        "//command_line_option:host_crosstool_top",
    ],
)

def _wasm_files_impl(ctx):
    files = depset(transitive = [s[DefaultInfo].files for s in ctx.attr.srcs])
    return [DefaultInfo(files = files, runfiles = ctx.runfiles(transitive_files = files))]

wasm_files = rule(
    implementation = _wasm_files_impl,
    attrs = {
        "srcs": attr.label_list(cfg = _to_wasm),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
