"""wasm_module: a deployable WebAssembly ES module (`NAME.mjs` + `NAME.wasm`).

cc_binary has exactly one output, so under --config=wasm it can only produce the
single-file form that tests use. This rule links the cc_library deps (already
compiled by the Emscripten toolchain) with emcc itself and declares both files.

    wasm_module(
        name = "mtcore",
        deps = [":web_api"],
        exported_functions = ["_malloc", "_free", "_mtcore_version"],
    )

Build with `./bazelw build --config=wasm //web:mtcore`; outside --config=wasm the
target is skipped (incompatible).
"""


def _wasm_module_impl(ctx):
    js = ctx.actions.declare_file(ctx.attr.name + ".mjs")
    wasm = ctx.actions.declare_file(ctx.attr.name + ".wasm")
    inputs = []
    link = []
    # Deps share libraries (abseil, ...): link each once, in the order of
    # one merged linking context.
    linking = cc_common.merge_cc_infos(cc_infos = [dep[CcInfo] for dep in ctx.attr.deps]).linking_context
    for linker_input in linking.linker_inputs.to_list():
        link.extend(linker_input.user_link_flags)
        for lib in linker_input.libraries:
            archive = lib.static_library or lib.pic_static_library
            if lib.objects:
                inputs.extend(lib.objects)
                link.extend([o.path for o in lib.objects])
            elif archive:
                inputs.append(archive)
                if lib.alwayslink:
                    link.extend(["-Wl,--whole-archive", archive.path, "-Wl,--no-whole-archive"])
                else:
                    link.append(archive.path)
    mode = ctx.var.get("COMPILATION_MODE", "fastbuild")
    opt = {"opt": "-O3", "dbg": "-O0", "fastbuild": "-O1"}[mode]
    if ctx.attr.optimize_size:
        opt = "-Oz"
    exported = ",".join(['"%s"' % f for f in ctx.attr.exported_functions])
    runtime = ",".join(['"%s"' % f for f in ctx.attr.exported_runtime_methods])
    args = [opt, "-o", js.path] + link + [
        "-sMODULARIZE=1",
        "-sEXPORT_ES6=1",
        "-sEXPORT_NAME=" + ctx.attr.export_name,
        "-sALLOW_MEMORY_GROWTH=1",
        "-sENVIRONMENT=web,worker,node",
        "-sEXPORTED_FUNCTIONS=[%s]" % exported,
        "-sEXPORTED_RUNTIME_METHODS=[%s]" % runtime,
        "-sFILESYSTEM=0",
        "--extern-pre-js",
        ctx.file._esm_shim.path,
    ] + ctx.attr.linkopts
    ctx.actions.run(
        executable = ctx.executable._emcc,
        arguments = args,
        inputs = depset(inputs + [ctx.file._esm_shim]),
        outputs = [js, wasm],
        mnemonic = "EmccLinkModule",
        progress_message = "Linking WebAssembly module %s" % js.short_path,
        # emcc reads Debian's frozen sysroot under /usr/share/emscripten.
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([js, wasm]), runfiles = ctx.runfiles(files = [js, wasm]))]

wasm_module = rule(
    implementation = _wasm_module_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "exported_functions": attr.string_list(default = ["_malloc", "_free"]),
        "exported_runtime_methods": attr.string_list(default = ["HEAPU8", "UTF8ToString", "stringToUTF8", "lengthBytesUTF8"]),
        "export_name": attr.string(default = "createModule"),
        "linkopts": attr.string_list(),
        "optimize_size": attr.bool(default = False, doc = "Link with -Oz."),
        "_esm_shim": attr.label(
            default = "//toolchain/emscripten:esm_node_shim.js",
            allow_single_file = True,
        ),
        "_emcc": attr.label(
            default = "//toolchain/emscripten:emcc.sh",
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
    },
)

def node_test(name, srcs, data = [], size = "small", **kwargs):
    """A JavaScript test file run by node's built-in test runner.

    Results are written as JUnit XML to $XML_OUTPUT_FILE, so each test case
    counts in CI's totals like a gtest case.
    """
    native.sh_test(
        name = name,
        srcs = ["//tools:node_test.sh"],
        args = ["$(rootpath %s)" % s for s in srcs],
        data = srcs + data,
        size = size,
        **kwargs
    )

# wasm_files: the outputs of targets built for WebAssembly inside a native
# build (a transition to the Emscripten toolchain, the settings --config=wasm
# uses, keeping the compilation mode). For native tests and tools that need
# both: the benchmark comparisons, the browser tests beside the native testdc.
def _to_wasm_impl(settings, attr):
    return {
        "//command_line_option:crosstool_top": "//toolchain/emscripten:suite",
        "//command_line_option:cpu": "wasm",
        "//command_line_option:host_crosstool_top": "@bazel_tools//tools/cpp:toolchain",
        # A native build's sanitizer flags (--config=asan) are not for the
        # wasm half: it gets what a --config=wasm build gets. The values
        # differ from both the native and the ASan pass's own, so Bazel counts
        # them as changed in both and gives the two the same configuration:
        # the wasm half of ./run_tests is built and cached once.
        "//command_line_option:copt": ["-Wall", "-DMTCORE_WASM_FILES=1"],
        "//command_line_option:linkopt": ["-Wno-unused-command-line-argument"],
        "//command_line_option:platform_suffix": "files",
    }

_to_wasm = transition(
    implementation = _to_wasm_impl,
    inputs = [],
    outputs = [
        "//command_line_option:crosstool_top",
        "//command_line_option:cpu",
        "//command_line_option:host_crosstool_top",
        "//command_line_option:copt",
        "//command_line_option:linkopt",
        "//command_line_option:platform_suffix",
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
