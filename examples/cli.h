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
