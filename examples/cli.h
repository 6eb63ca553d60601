#pragma once
// What the training examples share on their command line: numbers checked as they are read, and an error
// printed as one line naming the program, with exit status 1, rather than std::terminate's abort.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

namespace examples {

// `text` as a whole number of at least `least`, or std::invalid_argument naming the option.
inline long long whole_number(const std::string& option, const std::string& text, long long least = 1) {
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < least) {
    throw std::invalid_argument(option + ": expected a whole number of at least " + std::to_string(least) +
                                ", got '" + text + "'");
  }
  return value;
}

// `text` as a number, or std::invalid_argument naming the option.
inline double real_number(const std::string& option, const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw std::invalid_argument(option + ": expected a number, got '" + text + "'");
  return value;
}

// The command line of an example whose one option is --epochs N: N, `fallback` without the option, or 0 after
// printing the usage when the line is anything else (the example then exits with status 2).
inline int epochs_option(int argc, char** argv, int fallback) {
  int epochs = fallback;
  for (int i = 1; i < argc; i += 2) {
    const std::string option = argv[i];
    if (i + 1 == argc || option != "--epochs") {
      std::fprintf(stderr, "usage: %s [--epochs N]\n", argv[0]);
      return 0;
    }
    epochs = static_cast<int>(whole_number(option, argv[i + 1]));
  }
  return epochs;
}

// body() as main's body: an exception out of it becomes "PROGRAM: error: WHAT" and exit status 1.
template <class Body>
int report_errors(const char* program, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace examples
