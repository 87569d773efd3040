// Small models that use every op of SPEC §1.6, written in f64 (the
// gradient checks use them as they are; the JIT differential tests also in
// f32). Inputs are meant to be uniform in [-1, 1] (i32 inputs: labels in
// [0, 3)); log/sqrt arguments stay positive and values stay away from kinks.
#pragma once
#include <string>

namespace nncc::test {

struct OpCase {
  const char *name;
  const char *body; // declarations in f64; every param and float input is checked
};

inline const OpCase kOpCases[] = {
    {"add with bias broadcast", "input x : f64[4, 3]\n param b : f64[3]\n loss sum(square(x + b))"},
    {"sub, both operands", "input x : f64[4, 3]\n param a : f64[4, 1]\n loss sum(square(x - a))"},
    {"mul with scalar param", "input x : f64[4, 3]\n param s : f64\n loss sum(square(x * s))"},
    {"div", "input x : f64[4, 3]\n param d : f64[3] = uniform(1, 2)\n loss sum(x / d)"},
    {"maximum / minimum", "input x : f64[5, 3]\n param a : f64[3]\n loss sum(maximum(x, a) * 2 + minimum(x, a) * 3)"},
    {"matmul 2-D", "input x : f64[4, 3]\n param W : f64[3, 2]\n loss sum(square(x @ W))"},
    {"matmul vector cases", "input x : f64[4, 3]\n param w : f64[3]\n param v : f64[4]\n param M : f64[3, 2]\n"
                            " loss sum(square(x @ w)) + sum(square(v @ x)) + (w @ w) + sum(square(w @ M))"},
    {"neg, pow, exp, log, sqrt", "input x : f64[6]\n param a : f64[6]\n"
                                 " loss sum(-(a ** 3)) + sum(exp(a * x)) + sum(log(square(a) + 1)) + sum(sqrt(square(a) + 1))"},
    {"negative exponent", "param a : f64[4] = uniform(1, 2)\n loss sum(a ** -1.5)"},
    {"square, abs", "input x : f64[6]\n param a : f64[6]\n loss sum(square(a - x)) + sum(abs(a + x))"},
    {"tanh, sigmoid", "input x : f64[4, 3]\n param W : f64[3, 3]\n loss sum(tanh(x @ W)) + sum(sigmoid(x @ W) * x)"},
    {"softplus, gelu", "input x : f64[4, 3]\n param W : f64[3, 3]\n loss sum(softplus(x @ W) * x) + sum(gelu(x @ W * 2) * x)"},
    {"relu, leaky_relu", "input x : f64[8, 3]\n param W : f64[3, 3]\n loss sum(relu(x @ W) * x) + sum(leaky_relu(x @ W, alpha = 0.1) * x)"},
    {"dropout (the same mask forward and backward)", "input x : f64[4, 5]\n param a : f64[4, 5]\n loss sum(dropout(a * x, p = 0.3) * x)"},
    {"step has a zero gradient", "input x : f64[4]\n param a : f64[4]\n loss sum(step(a) * x) + sum(a * 0.5)"},
    {"sum, mean with axes", "input x : f64[4, 3]\n param a : f64[4, 3]\n"
                            " loss sum(square(sum(a * x, axis = 0))) + sum(square(mean(a, axis = -1, keepdims = true) * x)) + mean(a)"},
    {"max reduction", "input x : f64[4, 3]\n param a : f64[4, 3]\n loss sum(max(a + x, axis = 1) * 2) + max(a)"},
    {"logsumexp", "input x : f64[4, 3]\n param a : f64[4, 3]\n loss sum(square(logsumexp(a * x))) + sum(logsumexp(a, axis = 0, keepdims = true) * x) + logsumexp(a, axis = none)"},
    {"softmax", "input x : f64[4, 3]\n param a : f64[4, 3]\n loss sum(softmax(a) * x) + sum(softmax(a, axis = 0) * x * x)"},
    {"log_softmax", "input x : f64[4, 3]\n param a : f64[4, 3]\n loss sum(log_softmax(a) * x)"},
    {"layernorm with gain and bias", "input x : f64[4, 5]\n param g : f64[5] = ones\n param b : f64[5]\n"
                                     " param W : f64[5, 5]\n loss sum(square(layernorm(x @ W) * g + b) * x)"},
    {"transpose and reshape", "input x : f64[4, 6]\n param a : f64[6, 4]\n loss sum(square(reshape(a.T * x, [3, 8]) @ reshape(a, [8, 3])))"},
    {"concat", "input x : f64[4, 5]\n param a : f64[4, 2]\n param b : f64[4, 3]\n loss sum(square(concat(a, b, axis = 1) * x))"},
    {"embedding", "input ids : i32[5]\n input x : f64[5, 4]\n param E : f64[3, 4]\n loss sum(square(embedding(E, ids) * x))"},
    {"cross_entropy with labels", "input x : f64[5, 4]\n input y : i32[5]\n param W : f64[4, 3]\n loss cross_entropy(x @ W, y)"},
    {"cross_entropy with label smoothing", "input x : f64[5, 4]\n input y : i32[5]\n param W : f64[4, 3]\n"
                                           " loss cross_entropy(x @ W, y, label_smoothing = 0.2)"},
    {"cross_entropy with soft targets", "input x : f64[5, 4]\n input t : f64[5, 3]\n param W : f64[4, 3]\n"
                                        " loss cross_entropy(x @ W, softmax(t))"},
    {"nll of log_softmax", "input x : f64[5, 4]\n input y : i32[5]\n param W : f64[4, 3]\n loss nll(log_softmax(x @ W), y)"},
    {"bce", "input x : f64[6, 2]\n input t : f64[6]\n param w : f64[2]\n loss bce(sigmoid(x @ w), sigmoid(t * 3))"},
    {"bce_with_logits", "input x : f64[6, 2]\n input t : f64[6]\n param w : f64[2]\n loss bce_with_logits(x @ w, sigmoid(t))"},
    {"mse", "input x : f64[6, 2]\n input t : f64[6]\n param w : f64[2]\n loss mse(x @ w, t)"},
    {"hinge (max-margin)", "input x : f64[6, 3]\n input xc : f64[6, 3]\n param U : f64[3]\n param W : f64[3, 3]\n"
                           " def score(v) = tanh(v @ W) @ U\n loss hinge(score(x), score(xc), margin = 3)"},
    {"compositions stabilize rewrites", "input x : f64[4, 3]\n param a : f64[4, 3]\n"
                                        " loss sum(log(softmax(a)) * x) + sum(log(sigmoid(a * x))) + sum(exp(log(square(a) + 1)) * x)"},
    // Image ops: losses linear in the op's result (times an input t), so
    // that the loss stays small next to each gradient entry.
    {"conv2d with stride, padding and dilation", "input x : f64[2, 3, 7, 6]\n input t : f64[2, 4, 4, 4]\n param W : f64[4, 3, 3, 2]\n"
                                                 " loss sum(conv2d(x, W, stride = [2, 1], padding = [1, 0], dilation = [1, 2]) * t)"},
    {"conv2d with groups, bias and relu (one fused call)", "input x : f64[1, 4, 3, 3]\n input t : f64[1, 6, 3, 3]\n param s : f64[4, 1, 1]\n"
                                                           " param W : f64[6, 2, 3, 3]\n param b : f64[6, 1, 1]\n"
                                                           " loss sum(relu(conv2d(x * s, W, padding = 1, groups = 2) + b) * t)"},
    {"max_pool2d and avg_pool2d", "input x : f64[2, 3, 6, 5]\n input t : f64[2, 3, 3, 4]\n input u : f64[2, 3, 3, 3]\n param a : f64[2, 3, 6, 5]\n"
                                  " loss sum(max_pool2d(a * x, 2, stride = [2, 1]) * t) + sum(avg_pool2d(a * x, 3, stride = 2, padding = 1) * u)"},
    {"odd sizes: the last row and column fit no window", "input x : f64[1, 2, 5, 5]\n input t : f64[1, 3, 2, 2]\n input u : f64[1, 2, 2, 2]\n"
                                                         " param W : f64[3, 2, 2, 2]\n param a : f64[1, 2, 5, 5]\n"
                                                         " loss sum(conv2d(x * a, W, stride = 2) * t) + sum(max_pool2d(x * a, 2) * u)"},
    {"batch_norm of images and of features", "input x : f64[3, 2, 3, 2]\n input t : f64[3, 2, 3, 2]\n input u : f64[4, 3]\n input v : f64[4, 3]\n"
                                             " param g : f64[2] = uniform(1, 2)\n param b : f64[2]\n param e : f64[3] = uniform(1, 2)\n param f : f64[3]\n"
                                             " loss mean(square(batch_norm(x, g, b) - t)) + mean(square(batch_norm(u * e, e, f, eps = 0.01) - v))"},
    {"flatten into a dense layer", "input x : f64[2, 2, 3, 3]\n param a : f64[2, 3, 3]\n param W : f64[18, 3]\n"
                                   " loss sum(square(flatten(x * a) @ W))"},
    {"value used several times", "input x : f64[3]\n param a : f64[3]\n h = a * x\n loss sum(h * h + h * a)"},
    // Sequence ops (SPEC 1.6b).
    {"batched matmul against one matrix", "input x : f64[2, 3, 4]\n input t : f64[2, 3, 5]\n param W : f64[4, 5]\n loss sum((x @ W) * t)"},
    {"batched matmul, broadcast batch axes", "input t : f64[2, 3, 3, 2]\n param A : f64[2, 1, 3, 4]\n param B : f64[3, 4, 2]\n"
                                             " loss sum((A @ B) * t)"},
    {"batched matmul with vectors", "input t : f64[2, 3]\n input u : f64[2, 3]\n param A : f64[2, 3, 4]\n param w : f64[4]\n param v : f64[3]\n"
                                    " loss sum((A @ w) * t) + sum((v @ A) * (u @ A))"},
    {"transpose with axes", "input t : f64[4, 2, 3]\n param a : f64[2, 3, 4]\n"
                            " loss sum(transpose(a, axes = [2, 0, 1]) * t) + sum(square(transpose(a, axes = [0, -1, -2]) @ a))"},
    {"tril and a causal softmax", "input x : f64[2, 4, 3]\n input t : f64[2, 4, 4]\n param W : f64[3, 3]\n"
                                  " s = (x @ W) @ transpose(x, axes = [0, 2, 1])\n"
                                  " loss sum(softmax(tril(s, fill = -inf)) * t) + sum(tril(s) * t)"},
    {"one-head causal self-attention", "input ids : i32[2, 4]\n input y : i32[2, 4]\n param E : f64[5, 6] = normal(0, 1)\n"
                                       " param P : f64[4, 6] = normal(0, 1)\n param Wq : f64[6, 6]\n param Wk : f64[6, 6]\n"
                                       " param Wv : f64[6, 6]\n param Wo : f64[6, 5]\n param g : f64[6] = ones\n"
                                       " h = layernorm(embedding(E, ids) + P) * g\n"
                                       " s = (h @ Wq) @ transpose(h @ Wk, axes = [0, 2, 1]) * 0.4\n"
                                       " a = softmax(tril(s, fill = -inf)) @ (h @ Wv)\n"
                                       " loss cross_entropy(gelu(a + h) @ Wo, y)"},
    // fuse's row-epilogue: the affine and a chain after the layer norm, a
    // dropout after a softmax, computed in the row kernel's last pass while
    // the normalized value is stored for the backward pass.
    {"layernorm and softmax with the chain after them", "input x : f64[2, 3, 5]\n input t : f64[2, 3, 5]\n param g : f64[5] = ones\n"
                                                        " param b : f64[1, 1, 5]\n param s : f64\n h = relu(layernorm(x * 2 + t) * g + b + t)\n"
                                                        " loss sum(square(h) * t) + sum(dropout(softmax(h * s), p = 0.2) * t)"},
    // The chain reads an input computed before the row op (the kernel's first read is not the row op's operand).
    {"layernorm epilogue with a chain computed first", "input x : f64[3, 5]\n input z : f64[3, 5]\n param g : f64[5] = ones\n"
                                                       " u = relu(z)\n loss sum(square(layernorm(x) * g + u) * z)"},
    {"cross_entropy over leading axes: label smoothing, soft targets", "input x : f64[2, 3, 4]\n input y : i32[2, 3]\n input t : f64[2, 3, 5]\n"
                                                                      " param W : f64[4, 5]\n z = x @ W\n"
                                                                      " loss cross_entropy(z, y, label_smoothing = 0.1) + cross_entropy(z, softmax(t))"},
    {"xor network", "input x : f64[4, 2]\n input y : f64[4, 1]\n param W1 : f64[2, 8]\n param b1 : f64[8]\n"
                    " param W2 : f64[8, 1]\n param b2 : f64[1]\n h = tanh(x @ W1 + b1)\n p = sigmoid(h @ W2 + b2)\n loss bce(p, y)"},
};

/// Ops that only appear in outputs (not differentiable), and symbolic dims:
/// the JIT differential suite runs these too.
inline const OpCase kForwardOpCases[] = {
    {"multi-head attention on a symbolic batch", "input x : f64[N, 4, 8]\n input y : i32[N, 4]\n param Wq : f64[8, 8]\n param Wk : f64[8, 8]\n"
                                                 " param Wv : f64[8, 8]\n param Wo : f64[8, 3]\n"
                                                 " def heads(h) = transpose(reshape(h, [N, 4, 2, 4]), axes = [0, 2, 1, 3])\n"
                                                 " s = heads(x @ Wq) @ transpose(reshape(x @ Wk, [N, 4, 2, 4]), axes = [0, 2, 3, 1]) * 0.5\n"
                                                 " a = reshape(transpose(softmax(tril(s, fill = -inf)) @ heads(x @ Wv), axes = [0, 2, 1, 3]), [N, 4, 8])\n"
                                                 " z = dropout(a, p = 0.2) @ Wo\n output z\n loss cross_entropy(z, y)"},
    {"layernorm and softmax epilogues on a symbolic batch", "input x : f64[N, 3, 5]\n param g : f64[5] = ones\n param b : f64[5]\n"
                                                            " h = layernorm(x) * g + b\n p = dropout(softmax(h), p = 0.1) * 2\n"
                                                            " output h, p\n loss sum(square(p) * x)"},
    {"argmax and onehot", "input x : f64[N, 4]\n input y : i32[N]\n param W : f64[4, 3]\n z = x @ W\n"
                          " c = argmax(z)\n o = onehot(y, 3)\n output c, o\n loss sum(square(z))"},
    {"symbolic batch with reductions", "input x : f64[N, 5]\n param a : f64[5]\n h = x * a\n m = max(h, axis = 0)\n"
                                       " output m\n loss mean(square(h)) + sum(mean(h, axis = 0, keepdims = true))"},
    {"a small CNN on a symbolic batch", "input x : f64[N, 1, 6, 6]\n input y : i32[N]\n param W : f64[3, 1, 3, 3]\n param b : f64[3, 1, 1]\n"
                                        " param V : f64[12, 3]\n h = max_pool2d(relu(conv2d(x, W) + b), 2)\n z = flatten(h) @ V\n"
                                        " output z\n loss cross_entropy(z, y)"},
    // 16 channels: compiled f32, the images between the convolutions and
    // poolings are stored channel-blocked, with relayouts where a loop
    // reads an NCHW input (t), a reduction (the biases' gradients) or
    // flatten reads them, and where pooling's gradients read dy. (Too many
    // weights for finite differences to resolve; each op's gradient is
    // checked by the smaller cases above.)
    {"images stored channel-blocked", "input x : f64[2, 3, 6, 6]\n input t : f64[2, 16, 3, 3]\n input u : f64[2, 16]\n"
                                      " param W1 : f64[16, 3, 3, 3]\n param b1 : f64[16, 1, 1]\n param W2 : f64[16, 16, 1, 1]\n"
                                      " h = max_pool2d(relu(conv2d(x, W1, padding = 1) + b1), 2)\n"
                                      " loss sum(conv2d(h, W2) * h * t) + sum(flatten(avg_pool2d(h * h, 3)) * u)"},
    // Max pooling of blocked images (the runtime's own loops): windows that
    // overlap, pad, leave rows out; relu's zeros make ties (the first max
    // takes the gradient).
    {"blocked max pooling", "input x : f64[2, 3, 7, 7]\n input t : f64[2, 16, 4, 4]\n input u : f64[2, 16, 6, 3]\n"
                            " param W : f64[16, 3, 3, 3]\n r = relu(conv2d(x, W, padding = 1))\n"
                            " loss sum(max_pool2d(r, 3, stride = 2, padding = 1) * t) + sum(max_pool2d(r, 2, stride = [1, 2]) * u)"},
    // A batch norm's relu fused into its pass (plain: 3 channels; blocked: 16).
    {"batch norm with its relu", "input x : f64[4, 3, 5, 5]\n input t : f64[4, 3, 5, 5]\n input u : f64[4, 16, 5, 5]\n"
                                 " param g : f64[3]\n param b : f64[3]\n param W : f64[16, 3, 1, 1]\n param g2 : f64[16]\n param b2 : f64[16]\n"
                                 " loss sum(relu(batch_norm(x, g, b)) * t) + sum(relu(batch_norm(conv2d(x, W), g2, b2)) * u)"},
    {"a blocked image returned", "input x : f64[N, 1, 4, 4]\n param W : f64[16, 1, 3, 3]\n h = relu(conv2d(x, W, padding = 1))\n"
                                 " output h\n loss sum(square(h))"},
    {"labels reshaped", "input x : f64[6, 4]\n input y : i32[2, 3]\n param W : f64[4, 3]\n"
                        " loss cross_entropy(x @ W, reshape(y, [6]))"},
};

/// A case as a model that trains (so it has every entry point).
inline std::string op_case_model(const char *body) {
  return std::string("model m {\n") + body + "\n optimizer sgd(lr = 0.1, momentum = 0.9)\n}\n";
}

} // namespace nncc::test
