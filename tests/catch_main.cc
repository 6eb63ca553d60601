// Catch2's implementation and the test programs' main. The main is weak: a program with its own (the GPU tests,
// which skip without a device) takes the implementation alone and runs the session with run_catch.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "catch_run.h"

int mx::test::run_catch(int argc, char** argv) { return Catch::Session().run(argc, argv); }

__attribute__((weak)) int main(int argc, char** argv) { return mx::test::run_catch(argc, argv); }
