// Autograd's semantics: grad_req, scopes, backward and grad, higher order, errors, memory over a long loop.
#include <cmath>
#include <future>
#include <thread>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("backward writes x.grad: the seed tutorial's z = 2x", "[autograd]") {
  NDArray x = nd::array({1, 2, 3, 4}, Shape{2, 2});
  x.attach_grad();
  {
    autograd::record r;
    NDArray z = x * 2;
    z.backward();
  }
  check_array(x.grad(), {2, 2}, {2, 2, 2, 2});
}

TEST_CASE("relu's gradient passes the head gradient where the input is positive (0 at 0, as MXNet)", "[autograd]") {
  NDArray x = nd::array({-1, 0, 2, -3, 0.5, 7}, Shape{2, 3});
  x.attach_grad();
  {
    autograd::record r;
    nd::relu(x).backward(nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3}));
  }
  check_array(x.grad(), {2, 3}, {0, 0, 3, 0, 5, 6});  // one _backward_relu over (head gradient, relu's output)
  // Second order: d/dx sum(relu'(x) * x) = relu'(x) a.e., built from _backward_relu's own gradient.
  NDArray w = nd::array({-2, 1, 3}, Shape{3});
  w.attach_grad();
  {
    autograd::record r;
    const NDArray g = autograd::grad({nd::relu(w).sum()}, {w}, {}, true)[0];
    (g * w).sum().backward();
  }
  check_array(w.grad(), {3}, {0, 1, 1});
}

TEST_CASE("grad_req write overwrites and add accumulates until zero_grad", "[autograd]") {
  NDArray w = nd::array({1, 2, 3});
  NDArray a = nd::array({1, 2, 3});
  w.attach_grad(GradReq::kWrite);
  a.attach_grad(GradReq::kAdd);
  for (int step = 0; step < 2; ++step) {
    NDArray y;
    {
      autograd::record r;
      y = (w * w).sum() + (a * a).sum();
    }
    y.backward();
  }
  check_array(w.grad(), {3}, {2, 4, 6});
  check_array(a.grad(), {3}, {4, 8, 12});
  a.zero_grad();
  check_array(a.grad(), {3}, {0, 0, 0});

  NDArray skipped = nd::array({5});
  skipped.attach_grad(GradReq::kNull);
  NDArray y;
  {
    autograd::record r;
    y = skipped * 3 + w.sum();
  }
  y.backward();
  CHECK_THROWS_WITH(skipped.grad(), Contains("no gradient buffer"));
  CHECK(grad_req_from_name("add") == GradReq::kAdd);
  CHECK_THROWS_WITH(grad_req_from_name("sometimes"), Contains("sometimes"));
}

TEST_CASE("scopes nest, are thread-local and restore the mode", "[autograd]") {
  CHECK_FALSE(autograd::is_recording());
  CHECK_FALSE(autograd::is_training());
  {
    autograd::record r;
    CHECK(autograd::is_recording());
    CHECK(autograd::is_training());  // record implies training, as MXNet
    {
      autograd::predict_mode p;
      CHECK(autograd::is_recording());
      CHECK_FALSE(autograd::is_training());
    }
    CHECK(autograd::is_training());
    {
      autograd::pause p;
      CHECK_FALSE(autograd::is_recording());
      CHECK_FALSE(autograd::is_training());
      autograd::train_mode t;
      CHECK(autograd::is_training());
    }
    bool other_thread_recording = true;
    std::thread([&] { other_thread_recording = autograd::is_recording(); }).join();
    CHECK_FALSE(other_thread_recording);
  }
  {
    autograd::record r(false);
    CHECK(autograd::is_recording());
    CHECK_FALSE(autograd::is_training());
  }
  CHECK_FALSE(autograd::is_recording());
  CHECK(autograd::set_training(true) == false);
  CHECK(autograd::set_training(false) == true);
}

TEST_CASE("pause stops recording: no gradient flows through paused operations", "[autograd]") {
  NDArray x = nd::array({1, 2});
  x.attach_grad();
  NDArray y;
  {
    autograd::record r;
    NDArray constant;
    {
      autograd::pause p;
      constant = x * 10;  // not recorded: a constant
    }
    y = x * constant;
  }
  y.backward();
  check_array(x.grad(), {2}, {10, 20});  // d(x * c)/dx = c, without the path through c
}

TEST_CASE("a variable used twice sums its gradients, and broadcasting reduces back", "[autograd]") {
  NDArray x = nd::array({1, 2, 3}, Shape{3, 1});
  NDArray b = nd::array({10, 20});
  x.attach_grad();
  b.attach_grad();
  NDArray y;
  {
    autograd::record r;
    y = x * x + x * b;  // (3, 2)
  }
  y.backward();
  check_array(x.grad(), {3, 1}, {2 * 1 * 2 + 30, 2 * 2 * 2 + 30, 2 * 3 * 2 + 30});
  check_array(b.grad(), {2}, {6, 6});
}

TEST_CASE("detach and stop_gradient cut the graph", "[autograd]") {
  NDArray x = nd::array({3});
  x.attach_grad();
  NDArray y;
  {
    autograd::record r;
    NDArray x2 = x * x;
    y = x2 * nd::stop_gradient(x2) + x2.detach();
  }
  y.backward();
  check_array(x.grad(), {1}, {2 * 3 * 9});
}

TEST_CASE("autograd::backward with several heads and head gradients", "[autograd]") {
  NDArray x = nd::array({1, 2});
  x.attach_grad();
  NDArray a, b;
  {
    autograd::record r;
    a = x * 3;
    b = x * x;
  }
  autograd::backward({a, b}, {nd::array({1, 1}), nd::array({2, 0.5})});
  check_array(x.grad(), {2}, {3 + 2 * 2 * 1, 3 + 0.5 * 2 * 2});
}

TEST_CASE("a variable read once through a reshape gets its gradient written in its buffer, not copied there",
          "[autograd]") {
  // y = x . reshape(w, (3, 2)): dw = reshape(x^T g, (6,)); through a chain of reshapes, each read once (as a
  // hybridized block's replay reads a weight), the same; with the reshape read twice the gradient is summed
  // and copied, as before.
  const NDArray x = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3}), g = nd::array({1, 0, 0, 2}, Shape{2, 2});
  const std::vector<double> dw = {1, 8, 2, 10, 3, 12};  // x^T g, flattened
  enum class Reads { kOnce, kThroughChain, kTwice };
  for (const Reads reads : {Reads::kOnce, Reads::kThroughChain, Reads::kTwice}) {
    INFO("case " << static_cast<int>(reads));
    NDArray w = nd::arange(6);
    w.attach_grad();
    engine::trace::clear();
    engine::trace::enable(engine::trace::kOperators);
    {
      autograd::record r;
      const NDArray matrix = reads == Reads::kThroughChain ? w.reshape({6, 1}).reshape({6}).reshape({3, 2})
                                                           : w.reshape({3, 2});
      NDArray y = nd::dot(x, matrix);
      if (reads == Reads::kTwice) y = y + nd::dot(x, matrix);
      y.backward(g);
    }
    w.grad().wait_to_read();
    engine::trace::disable();
    int copies = 0;
    for (const auto& event : engine::trace::take_events()) copies += event.name == "Cast";
    std::vector<double> expected = dw;
    if (reads == Reads::kTwice) for (double& v : expected) v *= 2;
    check_array(w.grad(), {6}, expected);
    CHECK(copies == (reads == Reads::kTwice ? 1 : 0));
  }
}

TEST_CASE("a layer's weight and bias gradients are written in their buffers, not copied there", "[autograd]") {
  // y = x W^T + b with g = 1: dW = g^T x (column sums of x, per output), db = the column sums of g.
  const NDArray x = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  NDArray w = nd::zeros({2, 3}), b = nd::zeros({2});
  w.attach_grad();
  b.attach_grad();
  engine::trace::clear();
  engine::trace::enable(engine::trace::kOperators);
  {
    autograd::record r;
    NDArray y = nd::FullyConnected(x, w, b, 2);
    y.backward(nd::ones({2, 2}));
  }
  b.grad().wait_to_read();
  w.grad().wait_to_read();
  engine::trace::disable();
  int copies = 0;
  for (const auto& event : engine::trace::take_events()) copies += event.name == "Cast";
  check_array(w.grad(), {2, 3}, {5, 7, 9, 5, 7, 9});
  check_array(b.grad(), {2}, {2, 2});
  CHECK(copies == 0);
}

TEST_CASE("grad returns new arrays and leaves the buffers alone", "[autograd]") {
  NDArray x = nd::array({2, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::record r;
    y = (x * x * x).sum();
  }
  const std::vector<NDArray> g = autograd::grad({y}, {x});
  check_array(g[0], {2}, {12, 27});
  check_array(x.grad(), {2}, {0, 0});
}

TEST_CASE("create_graph: second derivatives of elementwise math, dot and FullyConnected", "[autograd]") {
  NDArray x = nd::array({0.5, 1.5});
  x.attach_grad();
  NDArray dy_sum;
  {
    autograd::record r;
    NDArray y = (nd::sin(x) * x * x).sum();  // y' = cos x x^2 + 2x sin x; y'' = -sin x x^2 + 4x cos x + 2 sin x
    dy_sum = autograd::grad({y}, {x}, {}, true)[0].sum();
  }
  const std::vector<NDArray> d2 = autograd::grad({dy_sum}, {x});
  std::vector<double> expected;
  for (double v : {0.5, 1.5}) expected.push_back(-std::sin(v) * v * v + 4 * v * std::cos(v) + 2 * std::sin(v));
  check_array(d2[0], {2}, expected);

  // f(w) = sum((x w)^2) for a fixed x: grad = 2 x^T x w, and its gradient wrt w (summed) is 2 x^T x 1.
  NDArray data = nd::array({1, 2, 3, 4}, Shape{2, 2});
  NDArray w = nd::array({1, -1}, Shape{2, 1});
  w.attach_grad();
  NDArray dw_sum;
  {
    autograd::record r;
    NDArray out = nd::dot(data, w);
    dw_sum = autograd::grad({nd::square(out).sum()}, {w}, {}, true)[0].sum();
  }
  const std::vector<NDArray> ddw = autograd::grad({dw_sum}, {w});
  // x^T x = [[10, 14], [14, 20]]; 2 x^T x 1 = [48, 68]
  check_array(ddw[0], {2, 1}, {48, 68});

  NDArray weight = nd::array({1, -1, 0.5, 2}, Shape{2, 2});
  weight.attach_grad();
  NDArray dfc_sum;
  {
    autograd::record r;
    NDArray out = nd::FullyConnected(data, weight, std::nullopt, 2);
    dfc_sum = autograd::grad({nd::square(out).sum()}, {weight}, {}, true)[0].sum();
  }
  // G = d/dW sum((x W^T)^2) = 2 (x W^T)^T x, so sum(G) = 2 sum_ikj (x W^T)_ki x_kj and
  // d sum(G) / dW_ij = 2 sum_k x_kj (sum_m x_km) = 2 * [1*3 + 3*7, 2*3 + 4*7] = [48, 68] in every row.
  const std::vector<NDArray> ddfc = autograd::grad({dfc_sum}, {weight});
  check_array(ddfc[0], {2, 2}, {48, 68, 48, 68});
}

TEST_CASE("backward returns before the gradients are computed", "[autograd]") {
  NDArray x = nd::array({1, 2});
  x.attach_grad();
  NDArray gate = nd::zeros({1});
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  // An operation writing `gate` that waits: everything reading gate waits behind it.
  engine::Engine::get().push_sync([opened](engine::RunContext) { opened.wait(); }, cpu(), {}, {gate.var()},
                                  {.name = "blocker"});
  NDArray y;
  {
    autograd::record r;
    y = (x * gate.detach() + x).sum();
  }
  y.backward();  // returns although the gradient needs `gate`
  open.set_value();
  check_array(x.grad(), {2}, {1, 1});
}

TEST_CASE("autograd errors are raised at the call, naming what was wrong", "[autograd]") {
  NDArray x = nd::array({1, 2});
  NDArray unrecorded = x * 2;
  CHECK_THROWS_WITH(unrecorded.backward(), Contains("was not computed from a variable"));
  x.attach_grad();
  NDArray y;
  {
    autograd::record r;
    y = x * x;
  }
  CHECK_THROWS_AS(y.backward(nd::ones({3})), ShapeError);
  CHECK_THROWS_WITH(y.backward(nd::ones({3})), Contains("(3,)") && Contains("(2,)"));
  y.backward(nd::ones({2}), true);  // retained
  y.backward();
  CHECK_THROWS_WITH(y.backward(), Contains("retain_graph"));

  NDArray unrelated = nd::array({1});
  unrelated.attach_grad();
  NDArray z;
  {
    autograd::record r;
    z = x * 3;
  }
  CHECK_THROWS_WITH(autograd::grad({z}, {unrelated}), Contains("no path"));
  CHECK_THROWS_WITH(autograd::grad({z}, {nd::array({1})}), Contains("not marked"));
  CHECK_THROWS_WITH(NDArray(nd::array({1})).grad(), Contains("attach_grad"));
}

TEST_CASE("in-place writes inside record are refused, and overwritten saved arrays are detected", "[autograd]") {
  NDArray w = nd::array({1, 2});
  w.attach_grad();
  {
    autograd::record r;
    NDArray y = w * 2;
    CHECK_THROWS_WITH(y += 1, Contains("in-place"));
    CHECK_THROWS_WITH(w *= 2, Contains("in-place"));
  }
  NDArray scale = nd::array({3, 3});
  NDArray y;
  {
    autograd::record r;
    y = (w * scale).sum();
  }
  scale += 1;  // outside record: allowed, but the graph saved scale
  CHECK_THROWS_WITH(y.backward(), Contains("overwritten in place"));
  {
    autograd::pause p;
    w -= w * 0.5;  // the SGD update pattern is fine outside recording
  }
  check_array(w, {2}, {0.5, 1});
}

TEST_CASE("memory stays flat over 2,000 record/backward steps", "[autograd][memory]") {
  NDArray w = nd::random::uniform(-1, 1, {16, 8});
  NDArray x = nd::random::uniform(-1, 1, {4, 8});
  w.attach_grad();
  const auto step = [&] {
    NDArray loss;
    {
      autograd::record r;
      loss = nd::square(nd::tanh(nd::dot(x, w, false, true))).mean();
    }
    loss.backward();
    autograd::pause p;
    w -= w.grad() * 0.01;
  };
  for (int i = 0; i < 50; ++i) step();
  nd::waitall();
  const std::size_t before = storage::pool(cpu()).stats().live_bytes;
  for (int i = 0; i < 2000; ++i) step();
  nd::waitall();
  const std::size_t after = storage::pool(cpu()).stats().live_bytes;
  CHECK(after <= before);
}
