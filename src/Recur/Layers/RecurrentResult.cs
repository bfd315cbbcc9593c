using Recur.Tensors;

namespace Recur.Layers;

/// <summary>Forward result: output <c>[T, B, D·Hout]</c>, h_n <c>[L·D, B, Hout]</c>, c_n <c>[L·D, B, H]</c> (LSTM only).</summary>
public sealed record RecurrentResult(Tensor Output, Tensor HN, Tensor? CN);

/// <summary>Backward result: ∂L/∂x <c>[T, B, I]</c>, ∂L/∂h0 <c>[L·D, B, Hout]</c>, ∂L/∂c0 <c>[L·D, B, H]</c> (LSTM only).
/// Parameter gradients are accumulated into each <see cref="Parameter.Grad"/>.</summary>
public sealed record RecurrentGradients(Tensor X, Tensor H0, Tensor? C0);
