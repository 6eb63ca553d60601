// The seed tutorial's "Data manipulation" in mxpp: arrays, lazy operators, sync points, save and load.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <mx/mx.h>

int main() {
  using namespace mx;
  auto x = nd::ones({5, 3});
  auto y = x + 1;           // returns at once; the engine computes it
  std::cout << y << "\n";   // a sync point
  std::printf("sum = %g\n", y.sum().asscalar<float>());

  auto w = nd::arange(6).reshape({2, 3});
  std::cout << nd::dot(w, w, false, true) << "\n";

  const std::string path = (std::filesystem::temp_directory_path() / "ndarray_basics.params").string();
  nd::save(path, {{"w", w}});
  std::cout << "loaded w equal: " << (nd::load(path).dict().at("w") == w).sum().asscalar<int>() << " of 6\n";
  std::filesystem::remove(path);
}
