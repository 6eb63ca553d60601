// The seed tutorial's autograd rows in mxpp: attach_grad, record, backward, pause for the update, and grad of
// a grad.
#include <cstdio>
#include <iostream>

#include <mx/mx.h>

int main() {
  using namespace mx;
  auto x = nd::array({1, 2, 3, 4}, Shape{2, 2});
  x.attach_grad();
  {
    autograd::record r;  // Python's `with autograd.record():`
    auto z = x * x * 2;
    z.backward();        // returns at once; the gradient operators run on the engine
  }
  std::cout << x.grad() << "\n";  // dz/dx = 4x, ready at this sync point

  // A hand-written SGD step: the update itself is not recorded.
  auto w = nd::array({0.5, -0.5});
  w.attach_grad();
  auto data = nd::array({1, 2, 3, 4}, Shape{2, 2}), label = nd::array({1, 0});
  for (int step = 0; step < 2000; ++step) {  // converges to the exact solution, A^-1 b = (-2, 1.5)
    NDArray loss;
    {
      autograd::record r;
      loss = nd::square(nd::dot(data, w) - label).mean();
    }
    loss.backward();
    autograd::pause p;
    w -= w.grad() * 0.05;
  }
  std::printf("w = [%.3f %.3f]\n", w.asnumpy<float>()[0], w.asnumpy<float>()[1]);

  // Second derivative of y = x^3 at 2: 6x = 12.
  auto v = nd::array({2});
  v.attach_grad();
  NDArray dy;
  {
    autograd::record r;
    auto y = v * v * v;
    dy = autograd::grad({y}, {v}, {}, /*create_graph=*/true)[0];
  }
  std::printf("dy/dv = %g, d2y/dv2 = %g\n", dy.asscalar<float>(), autograd::grad({dy}, {v})[0].asscalar<float>());
}
