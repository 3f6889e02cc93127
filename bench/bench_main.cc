// main() for the benchmark binaries in this package.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
