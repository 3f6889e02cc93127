"""testdc_node_test: a node test of the browser client against the native testdc."""

load("//tools:build_defs.bzl", "NATIVE_ONLY")
load("//tools:wasm.bzl", "node_test")

def testdc_node_test(name, srcs, data = [], size = "medium"):
    """The WebAssembly module (built for wasm inside the native build) and
    mtcore_client.mjs under node, talking WebSocket to the native testdc
    (//tests/peers:harness starts it), with the layer-228 schema and the
    shared set-up (testdc_env.mjs).

    Args:
      name: the test's name.
      srcs: the .test.mjs file.
      data: files the test reads besides those.
      size: the test size.
    """
    node_test(
        name = name,
        size = size,
        srcs = srcs,
        data = [
            "mtcore_client.mjs",
            "testdc_env.mjs",
            ":mtcore_wasm_files",
            "//tests/dc:testdc",
            "//tests/peers:harness",
            "@mtcute_schema//:package/tl/api-schema.json",
        ] + data,
        env = {"NODE_OPTIONS": "--experimental-websocket"},
        target_compatible_with = NATIVE_ONLY,
    )
