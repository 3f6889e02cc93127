"""mtcore's Bazel macros: target compatibility, tests for both targets, fuzz tests.

Under --config=wasm the target platform is still the host platform (the
toolchain is selected with --crosstool_top/--cpu), so compatibility is
expressed with select() on //tools:wasm rather than with cpu constraints.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

# Put on targets that only make sense natively (sockets, OpenSSL oracle, benchmarks).
NATIVE_ONLY = select({
    "//tools:wasm": ["@platforms//:incompatible"],
    "//conditions:default": [],
})

# Put on targets that only make sense under --config=wasm.
WASM_ONLY = select({
    "//tools:wasm": [],
    "//conditions:default": ["@platforms//:incompatible"],
})

def mtcore_cc_test(name, deps = [], size = "small", **kwargs):
    """A gtest cc_test that builds and runs natively and under --config=wasm (node)."""
    cc_test(
        name = name,
        size = size,
        deps = deps + ["@com_google_googletest//:gtest_main"],
        **kwargs
    )

def native_cc_test(name, deps = [], size = "small", **kwargs):
    """A gtest cc_test that only runs natively (OpenSSL oracle, sockets, ...)."""
    cc_test(
        name = name,
        size = size,
        deps = deps + ["@com_google_googletest//:gtest_main"],
        target_compatible_with = NATIVE_ONLY,
        **kwargs
    )

def cc_fuzz_test(name, srcs, deps = [], corpus = None, max_total_time = 20, **kwargs):
    """A libFuzzer target, usable in every native configuration.

    `srcs` define `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)`.
    `corpus` names a folder of seed inputs in this package.

    - Under --config=fuzz (clang + libFuzzer + ASan/UBSan), `bazel test :name`
      fuzzes for `max_total_time` seconds starting from the seeds (new inputs
      go to a scratch folder, never into the source tree), and
      `bazel run :name_bin -- FLAGS` is the plain libFuzzer binary.
    - Everywhere else (native, asan) the same test replays every seed, every
      truncation of each seed and a fixed set of seeded mutations of it, so
      crashes that fuzzing found, once added to the corpus, stay fixed.
    """
    seeds = native.glob([corpus + "/**"]) if corpus else []
    corpus_path = native.package_name() + "/" + corpus if corpus else ""
    cc_binary(
        name = name + "_bin",
        srcs = srcs,
        deps = deps + select({
            "//tools:fuzz": [],
            "//conditions:default": ["//tools:fuzz_replay_main"],
        }),
        linkopts = select({
            "//tools:fuzz": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        target_compatible_with = NATIVE_ONLY,
        testonly = True,
        **kwargs
    )
    native.sh_test(
        name = name,
        srcs = ["//tools:run_fuzz_test.sh"],
        data = [":" + name + "_bin"] + seeds,
        args = select({"//tools:fuzz": ["fuzz"], "//conditions:default": ["replay"]}) + [
            "$(rootpath :%s_bin)" % name,
            corpus_path,
            str(max_total_time),
        ],
        size = "medium" if max_total_time < 200 else "large",
        tags = ["fuzz"],
        target_compatible_with = NATIVE_ONLY,
    )
