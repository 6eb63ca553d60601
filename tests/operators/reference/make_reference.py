#!/usr/bin/python3
"""Writes numpy_reference.txt: inputs and NumPy's outputs for the operator reference test.

Run once by hand (Debian's python3-numpy, and python3-mpmath for the special functions NumPy lacks) when cases
are added; the test only reads the text it wrote:
    /usr/bin/python3 tests/operators/reference/make_reference.py

Format, one record per line, fields separated by spaces:
    case NAME            starts a case; NAME selects the C++ call in reference_test.cc
    tol T                optional relative and absolute tolerance for this case's outputs
    in DTYPE SHAPE V...  an input, in call order
    out DTYPE SHAPE V... an expected output, in order
SHAPE is the extents joined by commas, or "_" for a 0-d array. Values are written with repr, so float32
inputs read back exactly. Outputs are computed in float64 from the float32 inputs, independently of mxpp.
"""
import math
import os

import mpmath
import numpy as np

rng = np.random.default_rng(20261124)
lines = []


def shape_text(a):
    return ",".join(str(d) for d in a.shape) if a.ndim else "_"


def values_text(a):
    flat = a.reshape(-1)
    if a.dtype == np.bool_:
        return " ".join("1" if v else "0" for v in flat)
    if np.issubdtype(a.dtype, np.integer):
        return " ".join(str(int(v)) for v in flat)
    return " ".join(repr(float(v)) for v in flat)


def record(kind, a, dtype=None):
    a = np.asarray(a)
    lines.append(f"{kind} {dtype or a.dtype.name} {shape_text(a)} {values_text(a)}".rstrip())


def case(name, inputs, outputs, tol=None, out_dtypes=None):
    lines.append(f"case {name}")
    if tol is not None:
        lines.append(f"tol {tol:g}")
    for a in inputs:
        record("in", a)
    for i, a in enumerate(outputs):
        record("out", np.asarray(a, dtype=np.float64), (out_dtypes or {}).get(i, np.asarray(inputs[0]).dtype.name))


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def uniform(low, high, *shape, dtype=np.float32):
    return rng.uniform(low, high, shape).astype(dtype)


def small_ints(*shape, low=-3, high=4):
    return rng.integers(low, high, shape).astype(np.float32)


def f64(a):
    return np.asarray(a, dtype=np.float64)


# Binary operators with NumPy broadcasting, on pairs of shapes that exercise each rule.
broadcast_pairs = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (3, 1)), ((4, 1, 3), (1, 5, 1)), ((5,), (3, 1)),
                   ((2, 1, 3, 1), (4, 1, 2)), ((), (2, 3)), ((3, 1), ())]
binary = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "maximum": np.maximum,
    "minimum": np.minimum,
}
for name, fn in binary.items():
    for i, (sa, sb) in enumerate(broadcast_pairs):
        a, b = randn(*sa), randn(*sb)
        case(f"{name}_{i}", [a, b], [fn(f64(a), f64(b))])
for i, (sa, sb) in enumerate(broadcast_pairs[:4]):
    a = randn(*sa)
    b = uniform(0.5, 2.0, *sb) * np.where(rng.random(sb) < 0.5, -1, 1).astype(np.float32)
    case(f"divide_{i}", [a, b], [f64(a) / f64(b)])
    a = uniform(-10, 10, *sa)
    case(f"modulo_{i}", [a, b], [np.mod(f64(a), f64(b))], tol=1e-5)
    a = uniform(0.2, 3.0, *sa)
    e = uniform(-2.0, 2.0, *sb)
    case(f"power_{i}", [a, e], [np.power(f64(a), f64(e))])

compare = {"equal": np.equal, "not_equal": np.not_equal, "greater": np.greater,
           "greater_equal": np.greater_equal, "lesser": np.less, "lesser_equal": np.less_equal}
for name, fn in compare.items():
    for i, (sa, sb) in enumerate(broadcast_pairs[:3]):
        a, b = small_ints(*sa, low=-1, high=2), small_ints(*sb, low=-1, high=2)
        case(f"{name}_{i}", [a, b], [fn(a, b)])

# Scalar forms: array op scalar and scalar op array (MXNet's _plus_scalar, _rminus_scalar...).
x = randn(3, 4)
nonzero = uniform(0.5, 2.0, 3, 4) * np.where(rng.random((3, 4)) < 0.5, -1, 1).astype(np.float32)
case("plus_scalar", [x], [f64(x) + 2.5])
case("minus_scalar", [x], [f64(x) - 2.5])
case("rminus_scalar", [x], [2.5 - f64(x)])
case("mul_scalar", [x], [f64(x) * -1.5])
case("div_scalar", [x], [f64(x) / 4.0])
case("rdiv_scalar", [nonzero], [3.0 / f64(nonzero)])
m = uniform(-10, 10, 3, 4)
case("mod_scalar", [m], [np.mod(f64(m), 3.0)], tol=1e-5)
case("rmod_scalar", [nonzero], [np.mod(7.0, f64(nonzero))], tol=1e-5)
case("rpower_scalar", [x], [np.power(2.0, f64(x))])
p = uniform(0.1, 3, 3, 4)
case("power_scalar", [p], [np.power(f64(p), 2.5)])
case("maximum_scalar", [x], [np.maximum(f64(x), 0.25)])
case("minimum_scalar", [x], [np.minimum(f64(x), 0.25)])
s = small_ints(3, 4, low=-1, high=2)
case("greater_scalar", [s], [f64(s) > 0])
case("lesser_equal_scalar", [s], [f64(s) <= 0])
case("equal_scalar", [s], [f64(s) == 1])

# Unary math: each on a domain where it is defined.
positive = uniform(0.1, 4.0, 2, 3, 4)
general = uniform(-3.0, 3.0, 2, 3, 4)
unary = {
    "negative": (np.negative, general), "abs": (np.abs, general), "sign": (np.sign, small_ints(2, 3, 4)),
    "sqrt": (np.sqrt, positive), "rsqrt": (lambda v: 1 / np.sqrt(v), positive), "square": (np.square, general),
    "reciprocal": (np.reciprocal, positive), "exp": (np.exp, general), "log": (np.log, positive),
    "sin": (np.sin, general), "cos": (np.cos, general), "floor": (np.floor, general), "ceil": (np.ceil, general),
    "relu": (lambda v: np.maximum(v, 0), general), "sigmoid": (lambda v: 1 / (1 + np.exp(-v)), general),
    "tanh": (np.tanh, general),
}
for name, (fn, data) in unary.items():
    case(name, [data], [fn(f64(data))])

# The rest of the math library (issue 5).
unit = uniform(-0.95, 0.95, 2, 3, 4)
above_one = uniform(1.05, 4.0, 2, 3, 4)
halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, 1.2], dtype=np.float32)
gamma_domain = np.concatenate([uniform(0.2, 6.0, 10), uniform(-2.9, -0.1, 4)]).astype(np.float32)
mp_vec = lambda fn: np.vectorize(lambda v: float(fn(mpmath.mpf(float(v)))))
more_unary = {
    "tan": (np.tan, uniform(-1.2, 1.2, 2, 3, 4)), "arcsin": (np.arcsin, unit), "arccos": (np.arccos, unit),
    "arctan": (np.arctan, general), "sinh": (np.sinh, general), "cosh": (np.cosh, general),
    "arcsinh": (np.arcsinh, general), "arccosh": (np.arccosh, above_one), "arctanh": (np.arctanh, unit),
    "degrees": (np.degrees, general), "radians": (np.radians, general), "cbrt": (np.cbrt, general),
    "rcbrt": (lambda v: 1 / np.cbrt(v), positive), "expm1": (np.expm1, general * 1e-3),
    "log1p": (np.log1p, positive * 1e-3), "log2": (np.log2, positive), "log10": (np.log10, positive),
    "round": (lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5), halves), "rint": (np.rint, halves),
    "fix": (np.fix, halves), "trunc": (np.trunc, halves),
    "erf": (mp_vec(mpmath.erf), general), "gamma": (mp_vec(mpmath.gamma), gamma_domain),
    "gammaln": (mp_vec(lambda v: mpmath.log(abs(mpmath.gamma(v)))), gamma_domain),
    "digamma": (mp_vec(mpmath.digamma), gamma_domain), "trigamma": (mp_vec(lambda v: mpmath.psi(1, v)), gamma_domain),
    "erfinv": (mp_vec(mpmath.erfinv), unit),
}
for name, (fn, data) in more_unary.items():
    data = np.asarray(data, dtype=np.float32)
    case(name, [data], [fn(f64(data))], tol=1e-5)
d = uniform(0.2, 6.0, 6, dtype=np.float64)
case("digamma_float64", [d], [mp_vec(mpmath.digamma)(d)], tol=1e-12)
case("erfinv_float64", [d / 7], [mp_vec(mpmath.erfinv)(d / 7)], tol=1e-12)
for i, (sa, sb) in enumerate(broadcast_pairs[:3]):
    a, b = randn(*sa), randn(*sb)
    case(f"hypot_{i}", [a, b], [np.hypot(f64(a), f64(b))])
    case(f"atan2_{i}", [a, b], [np.arctan2(f64(a), f64(b))])
    la, lb = small_ints(*sa, low=-1, high=2), small_ints(*sb, low=-1, high=2)
    case(f"logical_and_{i}", [la, lb], [np.logical_and(la, lb)])
    case(f"logical_or_{i}", [la, lb], [np.logical_or(la, lb)])
    case(f"logical_xor_{i}", [la, lb], [np.logical_xor(la, lb)])
    ia, ib = rng.integers(-100, 100, sa).astype(np.int32), rng.integers(-100, 100, sb).astype(np.int32)
    case(f"bitwise_and_{i}", [ia, ib], [np.bitwise_and(ia, ib)])
    case(f"bitwise_or_{i}", [ia, ib], [np.bitwise_or(ia, ib)])
    case(f"bitwise_xor_{i}", [ia, ib], [np.bitwise_xor(ia, ib)])

# Reductions over axis lists, negative axes and keepdims.
r = randn(2, 3, 4)
reductions = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}
axis_sets = [("all", None), ("a0", (0,)), ("a1", (1,)), ("a02", (0, 2)), ("am1", (-1,))]
for name, fn in reductions.items():
    for tag, axis in axis_sets:
        case(f"{name}_{tag}", [r], [fn(f64(r), axis=axis)])
        case(f"{name}_{tag}_keepdims", [r], [fn(f64(r), axis=axis, keepdims=True)])
for axis in (0, 1, 2):
    ties = small_ints(2, 3, 4, low=0, high=3)  # ties pick the first maximum, as NumPy
    case(f"argmax_a{axis}", [ties], [np.argmax(ties, axis=axis)])
for tag, axis in axis_sets:
    case(f"norm2_{tag}", [r], [np.sqrt(np.sum(f64(r) ** 2, axis=axis))])
    case(f"norm1_{tag}", [r], [np.sum(np.abs(f64(r)), axis=axis)])
ints = rng.integers(-50, 50, (3, 5)).astype(np.int32)
case("sum_int32", [ints], [np.sum(ints, axis=1)])
d64 = randn(4, 5, dtype=np.float64)
case("sum_float64", [d64], [np.sum(d64, axis=0)], tol=1e-12)

# Matrix products.
a, b = randn(3, 5), randn(5, 4)
case("dot", [a, b], [f64(a) @ f64(b)], tol=1e-5)
case("dot_ta", [a.T.copy(), b], [f64(a) @ f64(b)], tol=1e-5)
case("dot_tb", [a, b.T.copy()], [f64(a) @ f64(b)], tol=1e-5)
case("dot_tatb", [a.T.copy(), b.T.copy()], [f64(a) @ f64(b)], tol=1e-5)
v, w = randn(6), randn(6)
case("dot_vectors", [v, w], [np.array([f64(v) @ f64(w)])], tol=1e-5)
a3, m2 = randn(2, 3, 5), randn(5, 4, 2)
case("dot_nd", [a3, m2], [np.tensordot(f64(a3), f64(m2), axes=1)], tol=1e-5)
a64, b64 = randn(7, 3, dtype=np.float64), randn(3, 2, dtype=np.float64)
case("dot_float64", [a64, b64], [a64 @ b64], tol=1e-12)
ba, bb = randn(3, 2, 4), randn(3, 4, 5)
case("batch_dot", [ba, bb], [np.matmul(f64(ba), f64(bb))], tol=1e-5)
case("batch_dot_ta", [ba.transpose(0, 2, 1).copy(), bb], [np.matmul(f64(ba), f64(bb))], tol=1e-5)
case("batch_dot_tb", [ba, bb.transpose(0, 2, 1).copy()], [np.matmul(f64(ba), f64(bb))], tol=1e-5)
data, weight, bias = randn(4, 2, 3), randn(5, 6), randn(5)
flat = f64(data).reshape(4, 6)
case("fully_connected", [data, weight, bias], [flat @ f64(weight).T + f64(bias)], tol=1e-5)
case("fully_connected_no_bias", [data, weight], [flat @ f64(weight).T], tol=1e-5)
seq, w3, b3 = randn(2, 3, 4), randn(5, 4), randn(5)
case("fully_connected_no_flatten", [seq, w3, b3], [f64(seq) @ f64(w3).T + f64(b3)], tol=1e-5)

# Shape operators.
t = randn(2, 3, 4)
case("transpose", [t], [np.transpose(t)])
case("transpose_axes", [t], [np.transpose(t, (1, 2, 0))])
case("expand_dims_1", [t], [np.expand_dims(t, 1)])
case("expand_dims_m1", [t], [np.expand_dims(t, -1)])
case("flatten", [t], [t.reshape(2, 12)])
c1, c2 = randn(2, 3, 4), randn(2, 1, 4)
case("concat_1", [c1, c2], [np.concatenate([c1, c2], axis=1)])
c3 = randn(1, 3, 4)
case("concat_0", [c1, c3], [np.concatenate([c1, c3], axis=0)])
case("split_1", [t], np.split(t, 3, axis=1))
sq = randn(2, 3, 2)
case("split_2_squeeze", [sq], [part.squeeze(2) for part in np.split(sq, 2, axis=2)])

# Operators of the training path.
case("clip", [general], [np.clip(f64(general), -1.0, 2.0)])
idx = rng.integers(0, 4, (2, 3)).astype(np.float32)
case("one_hot", [idx], [np.eye(4)[idx.astype(int)]])
scores, labels = randn(4, 5), rng.integers(0, 5, (4,)).astype(np.float32)
case("pick", [scores, labels], [f64(scores)[np.arange(4), labels.astype(int)]])
pick0 = rng.integers(0, 4, (5,)).astype(np.float32)
case("pick_axis0", [scores, pick0], [f64(scores)[pick0.astype(int), np.arange(5)]])


def softmax(v, axis):
    e = np.exp(v - np.max(v, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


logits = randn(2, 3, 4) * 3
case("softmax", [logits], [softmax(f64(logits), -1)])
case("softmax_axis1", [logits], [softmax(f64(logits), 1)])
case("log_softmax", [logits], [np.log(softmax(f64(logits), -1))], tol=1e-5)
case("log_softmax_axis0", [logits], [np.log(softmax(f64(logits), 0))], tol=1e-5)
case("softmax_cross_entropy", [scores, labels],
     [np.array([-np.sum(np.log(softmax(f64(scores), 1))[np.arange(4), labels.astype(int)])])], tol=1e-5)

# dtype conversions: float to int truncates toward zero, as C and NumPy's astype.
conv = uniform(-100, 100, 3, 4)
case("astype_int32", [conv], [conv.astype(np.int32)], out_dtypes={0: "int32"})
case("astype_float64", [conv], [f64(conv)], out_dtypes={0: "float64"})
case("astype_float16", [conv], [conv.astype(np.float16)], out_dtypes={0: "float16"})
u8 = uniform(0, 255, 3, 4)
case("astype_uint8", [u8], [u8.astype(np.uint8)], out_dtypes={0: "uint8"})
i64 = rng.integers(-1000, 1000, (2, 3)).astype(np.int64)
case("astype_from_int64", [i64], [i64.astype(np.float32)], out_dtypes={0: "float32"})

# Shapes and copies added with the autograd issue, and scalar comparisons of every kind.
cp = randn(2, 3)
case("copy", [cp], [f64(cp)])
sc = small_ints(3, 4, low=-1, high=2)
case("not_equal_scalar", [sc], [f64(sc) != 0])
case("greater_equal_scalar", [sc], [f64(sc) >= 0])
case("lesser_scalar", [sc], [f64(sc) < 0])
bt = randn(3, 1)
case("broadcast_to", [bt], [np.broadcast_to(f64(bt), (2, 3, 4))])
sa = randn(2, 5, 3)
case("slice_axis_1", [sa], [sa[:, 1:4, :]])
case("slice_axis_m1", [sa], [sa[..., -2:]])

# Reductions, scans and where of the operator issue.
rr = uniform(0.5, 1.5, 2, 3, 4) * np.where(rng.random((2, 3, 4)) < 0.3, -1, 1).astype(np.float32)
for tag, axis in axis_sets:
    case(f"prod_{tag}", [rr], [np.prod(f64(rr), axis=axis)], tol=1e-5)
nan_in = randn(3, 4)
nan_in[0, 1] = np.nan
nan_in[2, 3] = np.nan
case("nansum_a1", [nan_in], [np.nansum(f64(nan_in), axis=1)])
case("nanprod_a0", [nan_in], [np.nanprod(f64(nan_in), axis=0)], tol=1e-5)
for axis in (0, 1, 2):
    ties = small_ints(2, 3, 4, low=0, high=3)
    case(f"argmin_a{axis}", [ties], [np.argmin(ties, axis=axis)])
vv = randn(3, 5)
case("var_all", [vv], [np.var(f64(vv))], tol=1e-5)
case("var_a1_ddof1", [vv], [np.var(f64(vv), axis=1, ddof=1)], tol=1e-5)
case("std_a0_keepdims", [vv], [np.std(f64(vv), axis=0, keepdims=True)], tol=1e-5)
cs = randn(2, 3, 4)
case("cumsum_a1", [cs], [np.cumsum(f64(cs), axis=1)], tol=1e-5)
case("cumsum_am1", [cs], [np.cumsum(f64(cs), axis=-1)], tol=1e-5)
case("cumprod_a2", [cs], [np.cumprod(f64(cs), axis=2)], tol=1e-5)
wc, wx, wy = small_ints(2, 3, low=0, high=2), randn(2, 3), randn(3)
case("where", [wc, wx, wy], [np.where(wc != 0, f64(wx), f64(wy))])

# Layout operators of the operator issue.
ly = randn(2, 1, 3, 1)
case("squeeze_all", [ly], [np.squeeze(f64(ly))])
case("squeeze_a1", [ly], [np.squeeze(f64(ly), axis=1)])
sw = randn(2, 3, 4)
case("swapaxes_0_2", [sw], [np.swapaxes(f64(sw), 0, 2)])
s1, s2 = randn(2, 3), randn(2, 3)
case("stack_0", [s1, s2], [np.stack([f64(s1), f64(s2)], 0)])
case("stack_m1", [s1, s2], [np.stack([f64(s1), f64(s2)], -1)])
rl = randn(6)
case("reshape_like", [rl, np.zeros((3, 2), np.float32)], [f64(rl).reshape(3, 2)])
bl = randn(3, 1)
case("broadcast_like", [bl, np.zeros((2, 3, 4), np.float32)], [np.broadcast_to(f64(bl), (2, 3, 4))])
tl = randn(2, 3)
case("tile_2_1", [tl], [np.tile(f64(tl), (2, 1))])
case("tile_lead", [tl], [np.tile(f64(tl), (2, 1, 3))])
case("repeat_flat", [tl], [np.repeat(f64(tl), 2)])
case("repeat_a1", [tl], [np.repeat(f64(tl), 3, axis=1)])
case("flip_0", [sw], [np.flip(f64(sw), 0)])
case("flip_m1", [sw], [np.flip(f64(sw), -1)])
pd = randn(2, 3, 4)
pw = ((0, 0), (1, 2), (2, 1))
case("pad_constant", [pd], [np.pad(f64(pd), pw, constant_values=1.5)])
case("pad_edge", [pd], [np.pad(f64(pd), pw, mode="edge")])
case("pad_reflect", [pd], [np.pad(f64(pd), pw, mode="reflect")])
dm = randn(3, 4)
case("diag_2d", [dm], [np.diag(f64(dm))])
case("diag_2d_k1", [dm], [np.diag(f64(dm), 1)])
case("diag_2d_km2", [dm], [np.diag(f64(dm), -2)])
dv = randn(3)
case("diag_1d", [dv], [np.diag(f64(dv))])
case("diag_1d_k1", [dv], [np.diag(f64(dv), 1)])
case("diag_1d_km2", [dv], [np.diag(f64(dv), -2)])
tr = randn(2, 3, 4)
case("tril", [tr], [np.tril(f64(tr))])
case("tril_k1", [tr], [np.tril(f64(tr), 1)])
case("triu_km1", [tr], [np.triu(f64(tr), -1)])
case("eye_3_4_k1", [np.zeros(1, np.float32)], [np.eye(3, 4, 1)])
case("eye_3_km1", [np.zeros(1, np.float32)], [np.eye(3, k=-1)])
case("linspace", [np.zeros(1, np.float32)], [np.linspace(-1, 2, 7)])
case("linspace_open", [np.zeros(1, np.float32)], [np.linspace(0, 1, 4, endpoint=False)])

# Activations and take of the operator issue.
act = uniform(-3, 3, 2, 3, 4)
a64 = f64(act)
erf_vec = np.vectorize(math.erf)
acts = {
    "act_softrelu": np.log1p(np.exp(a64)), "act_softsign": a64 / (1 + np.abs(a64)),
    "leaky": np.where(a64 > 0, a64, 0.25 * a64), "elu": np.where(a64 > 0, a64, 0.25 * np.expm1(a64)),
    "selu": 1.0507009873554805 * np.where(a64 > 0, a64, 1.6732632423543772 * np.expm1(a64)),
    "gelu": 0.5 * a64 * (1 + erf_vec(a64 / math.sqrt(2))),
}
for name, expected in acts.items():
    case(name, [act], [expected], tol=1e-5)
gm = uniform(0.1, 0.5, 3)
case("prelu", [act, gm], [np.where(a64 > 0, a64, a64 * f64(gm).reshape(1, 3, 1))], tol=1e-5)
emb = randn(5, 3)
idx2 = np.array([[0, 4, 4], [2, 1, 7]], dtype=np.float32)
case("take_clip", [emb, idx2], [f64(emb)[np.clip(idx2.astype(int), 0, 4)]])
case("take_wrap_a1", [emb, np.array([-1, 2, 3], dtype=np.float32)], [f64(emb)[:, [2, 2, 0]]])

# Convolution, deconvolution and pooling, by direct sums over windows (independent of im2col).
import itertools


def conv_nd(x, w, b, stride, pad, dilate, groups):
    n, c = x.shape[:2]
    f, cg = w.shape[:2]
    k = w.shape[2:]
    sp = x.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p_, p_) for p_ in pad])
    out_sp = [(sp[a] + 2 * pad[a] - dilate[a] * (k[a] - 1) - 1) // stride[a] + 1 for a in range(len(k))]
    out = np.zeros((n, f) + tuple(out_sp))
    fg = f // groups
    for o in itertools.product(*[range(v) for v in out_sp]):
        for kk in itertools.product(*[range(v) for v in k]):
            idx = tuple(o[a] * stride[a] + kk[a] * dilate[a] for a in range(len(k)))
            patch = xp[(slice(None), slice(None)) + idx]  # (n, c)
            for g in range(groups):
                wg = w[g * fg:(g + 1) * fg, :, *kk]  # (fg, cg)
                out[(slice(None), slice(g * fg, (g + 1) * fg)) + o] += patch[:, g * cg:(g + 1) * cg] @ wg.T
    if b is not None:
        out += b.reshape((1, f) + (1,) * len(k))
    return out


def deconv_nd(x, w, stride, pad, dilate, adj, groups):
    n, c = x.shape[:2]
    fg = w.shape[1]
    k = w.shape[2:]
    sp = x.shape[2:]
    out_sp = [(sp[a] - 1) * stride[a] - 2 * pad[a] + dilate[a] * (k[a] - 1) + 1 + adj[a] for a in range(len(k))]
    full = np.zeros((n, fg * groups) + tuple(o + 2 * p_ + dilate[a] * k[a] for a, (o, p_) in enumerate(zip(out_sp, pad))))
    cg = c // groups
    for i in itertools.product(*[range(v) for v in sp]):
        for kk in itertools.product(*[range(v) for v in k]):
            idx = tuple(i[a] * stride[a] + kk[a] * dilate[a] for a in range(len(k)))
            for g in range(groups):
                contrib = x[(slice(None), slice(g * cg, (g + 1) * cg)) + i] @ w[g * cg:(g + 1) * cg, :, *kk]
                full[(slice(None), slice(g * fg, (g + 1) * fg)) + idx] += contrib
    crop = tuple(slice(p_, p_ + o) for p_, o in zip(pad, out_sp))
    return full[(slice(None), slice(None)) + crop]


def pool_nd(x, k, stride, pad, kind, full=False, include_pad=True):
    sp = x.shape[2:]
    out_sp = []
    for a in range(len(k)):
        span = sp[a] + 2 * pad[a] - k[a]
        out_sp.append((-(-span // stride[a]) if full else span // stride[a]) + 1)
    fill = -np.inf if kind == "max" else 0.0
    big = [(pad[a], pad[a] + k[a] + stride[a]) for a in range(len(k))]
    xp = np.pad(x, [(0, 0), (0, 0)] + big, constant_values=fill)
    real = np.pad(np.ones(sp), big)
    out = np.zeros(x.shape[:2] + tuple(out_sp))
    for o in itertools.product(*[range(v) for v in out_sp]):
        win = tuple(slice(o[a] * stride[a], o[a] * stride[a] + k[a]) for a in range(len(k)))
        patch = xp[(slice(None), slice(None)) + win].reshape(x.shape[:2] + (-1,))
        if kind == "max":
            out[(slice(None), slice(None)) + o] = patch.max(-1)
        elif kind == "sum":
            out[(slice(None), slice(None)) + o] = patch.sum(-1)
        else:
            count = np.prod(k) if include_pad else real[win].sum()
            out[(slice(None), slice(None)) + o] = patch.sum(-1) / count
    return out


cx, cw, cb = randn(2, 3, 6, 5), randn(4, 3, 3, 2), randn(4)
case("conv2d", [cx, cw, cb], [conv_nd(f64(cx), f64(cw), f64(cb), (1, 1), (0, 0), (1, 1), 1)], tol=1e-5)
case("conv2d_s2_p1_d2", [cx, cw, cb], [conv_nd(f64(cx), f64(cw), f64(cb), (2, 1), (1, 2), (2, 1), 1)], tol=1e-5)
gx, gw = randn(2, 4, 5, 5), randn(6, 2, 3, 3)
case("conv2d_groups", [gx, gw], [conv_nd(f64(gx), f64(gw), None, (1, 1), (1, 1), (1, 1), 2)], tol=1e-5)
x1, w1 = randn(2, 3, 9), randn(2, 3, 4)
case("conv1d_s2", [x1, w1], [conv_nd(f64(x1), f64(w1), None, (2,), (1,), (1,), 1)], tol=1e-5)
x3, w3 = randn(1, 2, 4, 3, 4), randn(2, 2, 2, 2, 3)
case("conv3d", [x3, w3], [conv_nd(f64(x3), f64(w3), None, (1, 1, 1), (0, 1, 1), (1, 1, 1), 1)], tol=1e-5)
dx_, dw_ = randn(2, 3, 4, 3), randn(3, 2, 3, 3)
case("deconv2d", [dx_, dw_], [deconv_nd(f64(dx_), f64(dw_), (2, 2), (1, 0), (1, 1), (1, 0), 1)], tol=1e-5)
gdx, gdw = randn(1, 4, 3, 3), randn(4, 3, 2, 2)
case("deconv2d_groups", [gdx, gdw], [deconv_nd(f64(gdx), f64(gdw), (1, 1), (0, 0), (1, 1), (0, 0), 2)], tol=1e-5)
px = randn(2, 3, 7, 6)
case("maxpool2d", [px], [pool_nd(f64(px), (3, 2), (2, 2), (1, 0), "max")])
case("maxpool2d_full", [px], [pool_nd(f64(px), (3, 3), (2, 2), (0, 0), "max", full=True)])
case("avgpool2d", [px], [pool_nd(f64(px), (2, 2), (2, 2), (1, 1), "avg")], tol=1e-5)
case("avgpool2d_exclude_pad", [px], [pool_nd(f64(px), (3, 3), (2, 2), (1, 1), "avg", include_pad=False)], tol=1e-5)
p1 = randn(2, 2, 7)
case("sumpool1d", [p1], [pool_nd(f64(p1), (3,), (2,), (0,), "sum")], tol=1e-5)
case("globalavgpool", [px], [f64(px).mean(axis=(2, 3), keepdims=True)], tol=1e-5)

# Normalization, losses and sequence operators.
nx, ng, nb = randn(2, 3, 4), uniform(0.5, 1.5, 4), randn(4)
m = f64(nx).mean(-1, keepdims=True)
v = f64(nx).var(-1, keepdims=True)
case("layer_norm", [nx, ng, nb], [(f64(nx) - m) / np.sqrt(v + 1e-5) * f64(ng) + f64(nb)], tol=1e-5)
ix, ig, ib = randn(2, 3, 4, 5), uniform(0.5, 1.5, 3), randn(3)
im = f64(ix).mean((2, 3), keepdims=True)
iv = f64(ix).var((2, 3), keepdims=True)
case("instance_norm", [ix, ig, ib],
     [(f64(ix) - im) / np.sqrt(iv + 1e-3) * f64(ig).reshape(1, 3, 1, 1) + f64(ib).reshape(1, 3, 1, 1)], tol=1e-5)
bx, bg, bb, bm, bv = randn(4, 3, 2), uniform(0.5, 1.5, 3), randn(3), randn(3), uniform(0.5, 2, 3)
r3 = lambda a: f64(a).reshape(1, 3, 1)
case("batch_norm_inference", [bx, bg, bb, bm, bv], [(f64(bx) - r3(bm)) / np.sqrt(r3(bv) + 1e-3) * r3(bg) + r3(bb)], tol=1e-5)
tx = randn(3, 5)
tt = f64(tx) / 2.5
case("softmax_temperature", [tx], [np.exp(tt - tt.max(-1, keepdims=True)) / np.exp(tt - tt.max(-1, keepdims=True)).sum(-1, keepdims=True)], tol=1e-6)
sl = uniform(-3, 3, 3, 4)
sig2 = 2.0 ** 2
case("smooth_l1", [sl], [np.where(np.abs(f64(sl)) < 1 / sig2, 0.5 * sig2 * f64(sl) ** 2, np.abs(f64(sl)) - 0.5 / sig2)])
sq, ln = randn(4, 3, 2), np.array([2, 4, 0], dtype=np.float32)
sq_mask = np.arange(4).reshape(4, 1, 1) < ln.reshape(1, 3, 1)
case("sequence_mask", [sq, ln], [np.where(sq_mask, f64(sq), -1.0)])
sq1 = randn(3, 4)
ln1 = np.array([1, 3, 4], dtype=np.float32)
case("sequence_mask_a1", [sq1, ln1], [np.where(np.arange(4).reshape(1, 4) < ln1.reshape(3, 1), f64(sq1), 0.0)])
ew, ei = randn(6, 3), np.array([[5, 0], [2, 2]], dtype=np.float32)
case("embedding", [ei, ew], [f64(ew)[ei.astype(int)]], out_dtypes={0: "float32"})

# Sorting.
so = small_ints(3, 5, low=-4, high=5) + randn(3, 5) * 0.01
case("argsort_a1", [so], [np.argsort(f64(so), axis=1, kind="stable")], out_dtypes={0: "float32"})
case("argsort_a0_desc", [so], [np.argsort(-f64(so), axis=0, kind="stable")], out_dtypes={0: "float32"})
case("sort_a1", [so], [np.sort(f64(so), axis=1)])
case("sort_a0_desc", [so], [-np.sort(-f64(so), axis=0)])
top_idx = np.argsort(-f64(so), axis=1, kind="stable")[:, :2]
case("topk_indices", [so], [top_idx], out_dtypes={0: "float32"})
case("topk_value", [so], [np.take_along_axis(f64(so), top_idx, 1)])
mask = np.zeros_like(f64(so))
np.put_along_axis(mask, top_idx, 1.0, 1)
case("topk_mask", [so], [mask])
ta_x, ta_i = randn(3, 4), np.array([[3, 0], [1, 1], [2, 3]], dtype=np.float32)
case("take_along_axis", [ta_x, ta_i], [np.take_along_axis(f64(ta_x), ta_i.astype(int), 1)])

# Strided slices, gather_nd and scatter_nd.
sx = randn(4, 5, 6)
case("slice_steps", [sx], [f64(sx)[1::2, :4, -1:0:-2]])
case("slice_reverse", [sx], [f64(sx)[::-1]])
case("slice_clipped", [sx], [f64(sx)[-10:10, 2:100]])
gx = randn(3, 4, 2)
gi = np.array([[0, 2, -1], [1, 3, 0]], dtype=np.float32)
case("gather_nd", [gx, gi], [f64(gx)[gi[0].astype(int), gi[1].astype(int)]])
gi3 = np.array([[[0, 2], [1, 1]], [[3, 0], [1, 2]], [[1, 0], [0, 1]]], dtype=np.float32)
case("gather_nd_full", [gx, gi3], [f64(gx)[gi3[0].astype(int), gi3[1].astype(int), gi3[2].astype(int)]])
sd = randn(3, 2)
si = np.array([[0, 2, 1], [1, 3, 0]], dtype=np.float32)
scattered = np.zeros((3, 4, 2))
scattered[si[0].astype(int), si[1].astype(int)] = f64(sd)
case("scatter_nd", [sd, si], [scattered])

# fmod (C's sign), norms of any order, dist, addr, cross.
fa, fb = uniform(-5, 5, 3, 4), uniform(0.5, 2, 4) * np.where(rng.random(4) < 0.5, -1, 1).astype(np.float32)
case("fmod", [fa, fb], [np.fmod(f64(fa), f64(fb))])
case("fmod_scalar", [fa], [np.fmod(f64(fa), np.float32(1.7))], tol=1e-5)
fi, fj = rng.integers(-20, 20, (2, 5)).astype(np.int32), np.array([3, -4, 5, 7, -2], dtype=np.int32)
case("fmod_int32", [fi, fj], [np.fmod(fi, fj)], out_dtypes={0: "int32"})
nx = randn(3, 4)
nx[0, 1] = 0
nx[2, 3] = 0
case("norm_ord3_a1", [nx], [np.sum(np.abs(f64(nx)) ** 3, axis=1) ** (1 / 3)], tol=1e-5)
case("norm_ord_half", [nx], [np.sum(np.abs(f64(nx)) ** 0.5) ** 2], tol=1e-5)
case("norm_inf_a0", [nx], [np.max(np.abs(f64(nx)), axis=0)])
case("norm_neg_inf", [nx], [np.min(np.abs(f64(nx)))])
case("norm_ord0_a1", [nx], [np.sum(f64(nx) != 0, axis=1)])
dx, dy = randn(3, 4), randn(4)
case("dist_p3", [dx, dy], [np.linalg.norm((f64(dx) - f64(dy)).ravel(), 3)], tol=1e-5)
am, av, aw = randn(3, 4), randn(3), randn(4)
case("addr", [am, av, aw], [0.5 * f64(am) + 2 * np.outer(f64(av), f64(aw))], tol=1e-6)
ca, cb = randn(2, 3, 4), randn(3, 1)
case("cross_a1", [ca, cb], [np.cross(f64(ca), f64(cb), axisa=1, axisb=0, axisc=1)], tol=1e-6)
cc, cd = randn(4, 3), randn(4, 3)
case("cross_last", [cc, cd], [np.cross(f64(cc), f64(cd))], tol=1e-6)

# Linear algebra, batched over a leading axis.
la, lb, lc = randn(2, 3, 4), randn(2, 4, 5), randn(2, 3, 5)
case("linalg_gemm", [la, lb, lc], [0.5 * f64(la) @ f64(lb) + 2 * f64(lc)], tol=1e-5)
lat, lbt = randn(2, 4, 3), randn(2, 5, 4)
case("linalg_gemm2_tt", [lat, lbt], [1.5 * np.swapaxes(f64(lat), 1, 2) @ np.swapaxes(f64(lbt), 1, 2)], tol=1e-5)
def spd(*batch, n=4):
    m = rng.standard_normal(batch + (n, n))
    return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)).astype(np.float32)
sp = spd(2)
case("linalg_potrf", [sp], [np.linalg.cholesky(f64(sp))], tol=1e-5)
lower = np.tril(uniform(0.5, 1.5, 2, 4, 4)) + np.eye(4, dtype=np.float32)
case("linalg_potri", [lower], [np.linalg.inv(f64(lower) @ np.swapaxes(f64(lower), 1, 2))], tol=1e-4)
tb = randn(2, 4, 3)
low64 = np.tril(f64(lower))
case("linalg_trsm", [lower, tb], [np.linalg.solve(low64, 2 * f64(tb))], tol=1e-5)
up64 = np.triu(f64(lower))
tr = randn(2, 3, 4)
case("linalg_trsm_right_upper_t", [lower, tr], [f64(tr) @ np.linalg.inv(np.swapaxes(up64, 1, 2))], tol=1e-4)
case("linalg_trmm", [lower, tb], [1.5 * low64 @ f64(tb)], tol=1e-5)
case("linalg_trmm_right_t", [lower, tr], [f64(tr) @ np.swapaxes(low64, 1, 2)], tol=1e-5)
sy = randn(2, 3, 5)
case("linalg_syrk", [sy], [f64(sy) @ np.swapaxes(f64(sy), 1, 2)], tol=1e-5)
case("linalg_syrk_t", [sy], [0.5 * np.swapaxes(f64(sy), 1, 2) @ f64(sy)], tol=1e-5)
gq = randn(2, 3, 5)
qs, ls = [], []
for mat in f64(gq):
    q, r = np.linalg.qr(mat.T)  # A^T = Q R: A = R^T Q^T
    signs = np.sign(np.diag(r))
    qs.append((q * signs).T)
    ls.append((r.T * signs))
case("linalg_gelqf", [gq], [np.array(qs), np.array(ls)], tol=1e-4)
se = spd(2, n=3) - 3 * np.eye(3, dtype=np.float32)
vals, vecs = np.linalg.eigh(f64(se))
rows = np.swapaxes(vecs, 1, 2)
for b in range(rows.shape[0]):
    for r in range(rows.shape[1]):
        if rows[b, r, np.argmax(np.abs(rows[b, r]))] < 0:
            rows[b, r] *= -1
case("linalg_syevd", [se], [rows, vals], tol=1e-4)
iv = randn(3, 4, 4) + 3 * np.eye(4, dtype=np.float32)
case("linalg_inverse", [iv], [np.linalg.inv(f64(iv))], tol=1e-4)
dm = randn(3, 3, 3)
case("linalg_det", [dm], [np.linalg.det(f64(dm))], tol=1e-5)
sgn, lad = np.linalg.slogdet(f64(dm))
case("linalg_slogdet", [dm], [sgn, lad], tol=1e-5)
ls_a, ls_b = randn(2, 6, 3), randn(2, 6, 2)
case("linalg_lstsq", [ls_a, ls_b], [np.array([np.linalg.lstsq(f64(a), f64(b), rcond=None)[0] for a, b in zip(ls_a, ls_b)])], tol=1e-4)
lu_a, lu_b = randn(3, 5), randn(3, 2)
case("linalg_lstsq_min_norm", [lu_a, lu_b], [np.linalg.lstsq(f64(lu_a), f64(lu_b), rcond=None)[0]], tol=1e-4)

# Image transforms: to_tensor (HWC to CHW, / 255) and per-channel normalize.
img = rng.integers(0, 256, (2, 3, 4, 2)).astype(np.uint8)
case("image_to_tensor", [img], [np.transpose(img.astype(np.float64) / 255, (0, 3, 1, 2))], tol=1e-6, out_dtypes={0: "float32"})
chw = randn(2, 3, 4)
case("image_normalize", [chw], [(f64(chw) - np.array([0.1, 0.2]).reshape(2, 1, 1)) / np.array([0.5, 2.0]).reshape(2, 1, 1)], tol=1e-6)

def resize_bilinear(img, out_h, out_w):
    """Half-pixel-centre bilinear resize of (H, W, C), edges clamped (OpenCV's INTER_LINEAR)."""
    h, w, _ = img.shape
    ys = np.clip((np.arange(out_h) + 0.5) * h / out_h - 0.5, 0, h - 1)
    xs = np.clip((np.arange(out_w) + 0.5) * w / out_w - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


rz = randn(5, 7, 2)
case("image_resize_down_up", [rz], [resize_bilinear(f64(rz), 8, 3)], tol=1e-5)

# Per-sample cross-entropy (the fused form of Gluon's SoftmaxCrossEntropyLoss), reusing the scores above.
case("softmax_cross_entropy_per_sample", [scores, labels],
     [-np.log(softmax(f64(scores), 1))[np.arange(4), labels.astype(int)]], tol=1e-5)

case("image_to_tensor_normalized", [img],
     [(np.transpose(img.astype(np.float64) / 255, (0, 3, 1, 2)) - np.array([0.4, 0.6]).reshape(1, 2, 1, 1))
      / np.array([0.2, 0.5]).reshape(1, 2, 1, 1)], tol=1e-5, out_dtypes={0: "float32"})

# Session 33's additions: MXNet operators mxpp lacked (kept last, so the cases above keep their random draws).
av = randn(3, 5) * 3
av64 = f64(av)
case("act_log_sigmoid", [av], [-np.log1p(np.exp(-av64))], tol=1e-5)
case("act_mish", [av], [av64 * np.tanh(np.log1p(np.exp(av64)))], tol=1e-5)
case("hard_sigmoid", [av], [np.clip(0.2 * av64 + 0.5, 0, 1)])
case("hard_sigmoid_a6", [av], [np.clip(av64 / 6 + 0.5, 0, 1)])
case("softmin_a0", [av], [softmax(-av64, 0)], tol=1e-5)
mo = randn(2, 3, 4)
mo64 = f64(mo)
case("moments_a02", [mo], [mo64.mean(axis=(0, 2)), mo64.var(axis=(0, 2))], tol=1e-5)
case("moments_all_keepdims", [mo], [mo64.mean(keepdims=True), mo64.var(keepdims=True)], tol=1e-5)
hv = randn(40)
hv[3] = np.nan
counts, edges = np.histogram(f64(hv[~np.isnan(hv)]), bins=6)
case("histogram_6", [hv], [counts, edges], tol=1e-6, out_dtypes={0: "int64"})
counts, edges = np.histogram(f64(hv[~np.isnan(hv)]), bins=5, range=(-1.0, 1.5))
case("histogram_5_range", [hv], [counts, edges], tol=1e-6, out_dtypes={0: "int64"})
given = np.array([-2.0, -0.5, 0.0, 0.25, 3.0], dtype=np.float32)
counts, _ = np.histogram(f64(hv[~np.isnan(hv)]), bins=f64(given))
case("histogram_edges", [hv, given], [counts, given], out_dtypes={0: "int64"})
tuples = np.stack([rng.integers(0, d, 6) for d in (3, 4, 5)]).astype(np.float32)
case("ravel_multi_index_345", [tuples], [np.ravel_multi_index(tuples.astype(int), (3, 4, 5))])
flat = rng.integers(0, 60, (2, 3)).astype(np.int64)
case("unravel_index_345", [flat], [np.stack(np.unravel_index(flat, (3, 4, 5)))])
case("allclose_close", [mo, mo + np.float32(1e-7)], [np.array(int(np.allclose(mo64, f64(mo + np.float32(1e-7)))))],
     out_dtypes={0: "int32"})
case("allclose_far", [mo, mo * np.float32(1.001)], [np.array(int(np.allclose(mo64, f64(mo * np.float32(1.001)))))],
     out_dtypes={0: "int32"})


def adaptive_avg_pool(img, out_h, out_w):
    """PyTorch's adaptive_avg_pool2d on (N, C, H, W): bin i covers floor(i H / out) .. ceil((i + 1) H / out)."""
    n, c, h, w = img.shape
    out = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        h0, h1 = (i * h) // out_h, -((-(i + 1) * h) // out_h)
        for j in range(out_w):
            w0, w1 = (j * w) // out_w, -((-(j + 1) * w) // out_w)
            out[:, :, i, j] = img[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


ap = randn(2, 3, 7, 5)
case("adaptive_avg_pool_3_2", [ap], [adaptive_avg_pool(f64(ap), 3, 2)], tol=1e-5)
case("adaptive_avg_pool_up_9_6", [ap], [adaptive_avg_pool(f64(ap), 9, 6)], tol=1e-5)
old = randn(5, 3)
rows = randn(2, 3)
where = np.array([3, 0], dtype=np.float32)
copied = f64(old).copy()
copied[where.astype(int)] = f64(rows)
case("index_copy", [old, where, rows], [copied])
ia = randn(2, 3, 2)
case("index_array_all", [ia], [np.stack(np.indices(ia.shape), axis=-1)], out_dtypes={0: "int64"})
case("index_array_a2_0", [ia], [np.stack([np.indices(ia.shape)[2], np.indices(ia.shape)[0]], axis=-1)],
     out_dtypes={0: "int64"})
case("arange_like_r2", [ia], [(1.5 + 0.5 * (np.arange(12) // 2)).reshape(2, 3, 2)])
case("arange_like_a1", [ia], [np.arange(3) * 2.0])

mats = randn(2, 4, 4)
m64 = f64(mats)
case("extractdiag_k1", [mats], [np.stack([np.diagonal(m, 1) for m in m64])])
case("extractdiag_km2", [mats], [np.stack([np.diagonal(m, -2) for m in m64])])
vecs = randn(2, 3)
case("makediag_k0", [vecs], [np.stack([np.diag(v) for v in f64(vecs)])])
case("makediag_km1", [vecs], [np.stack([np.diag(v, -1) for v in f64(vecs)])])
case("extracttrian_lower", [mats], [np.stack([m[np.tril_indices(4)] for m in m64])])
case("extracttrian_upper", [mats], [np.stack([m[np.triu_indices(4)] for m in m64])])
case("extracttrian_k1", [mats], [np.stack([m[np.triu_indices(4, 1)] for m in m64])])
case("extracttrian_km2", [mats], [np.stack([m[np.tril_indices(4, -2)] for m in m64])])
tri = randn(2, 6)


def place(values, n, rows_cols):
    out = np.zeros((n, n))
    out[rows_cols] = values
    return out


case("maketrian_lower", [tri], [np.stack([place(v, 3, np.tril_indices(3)) for v in f64(tri)])])
case("maketrian_k2", [tri], [np.stack([place(v, 5, np.triu_indices(5, 2)) for v in f64(tri)])])
spd = (m64 @ np.transpose(m64, (0, 2, 1)) + 4 * np.eye(4)).astype(np.float32)
case("sumlogdiag", [spd], [np.log(np.diagonal(f64(spd), axis1=1, axis2=2)).sum(axis=1)], tol=1e-5)
ka, kb, kc = randn(2, 3), randn(4, 3), randn(2, 3)
case("khatri_rao_3", [ka, kb, kc], [np.einsum("ik,jk,lk->ijlk", f64(ka), f64(kb), f64(kc)).reshape(16, 3)])

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy_reference.txt")
with open(out_path, "w") as f:
    f.write(f"# Written by make_reference.py with NumPy {np.__version__}; do not edit by hand.\n")
    f.write("\n".join(lines) + "\n")
print(f"{out_path}: {sum(1 for l in lines if l.startswith('case '))} cases")
