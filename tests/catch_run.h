#pragma once
// For a test program with a main of its own (catch_main.cc's is weak): runs the Catch2 session.
namespace mx::test {
int run_catch(int argc, char** argv);
}
