using Recur.Tensors;

namespace Recur.Layers;

public sealed partial class Recurrent
{
    /// <summary>
    /// Runs the whole stack over <paramref name="x"/> <c>[T, B, I]</c>.
    /// <paramref name="h0"/> <c>[L·D, B, Hout]</c> and <paramref name="c0"/> <c>[L·D, B, H]</c> (LSTM) default to zeros.
    /// <paramref name="lengths"/> (each 1..T) gives per-sequence lengths of a padded batch: past its
    /// length a sequence keeps its state and outputs zeros; the reverse direction starts at its own last step.
    /// <para>The result tensors belong to the layer and are overwritten by the next Forward of the same shape
    /// (no per-call allocation in a training loop): <see cref="Tensor.Clone"/> what you keep. <paramref name="x"/>
    /// is read again by Backward: do not modify it in between.</para>
    /// </summary>
    public RecurrentResult Forward(Tensor x, Tensor? h0 = null, Tensor? c0 = null, int[]? lengths = null)
        => ForwardCore(x, h0, c0, lengths);

    /// <summary>
    /// Backward through the last <see cref="Forward"/>: given ∂L/∂output <c>[T, B, D·Hout]</c> and optionally
    /// ∂L/∂h_n, ∂L/∂c_n, returns ∂L/∂x, ∂L/∂h0, ∂L/∂c0 and adds every parameter's gradient into its Grad.
    /// The returned tensors belong to the layer and are overwritten by the next Backward of the same shape.
    /// With <paramref name="inputGradient"/> false, ∂L/∂x is not computed (the returned X is zeros): for an input
    /// that is data, this saves the dX = dA·W_ih product of the first layer (T·B·I·G·H multiply-adds).
    /// </summary>
    public RecurrentGradients Backward(Tensor gradOutput, Tensor? gradHN = null, Tensor? gradCN = null, bool inputGradient = true)
        => BackwardCore(gradOutput, gradHN, gradCN, inputGradient);

    /// <summary>Batch-first convenience: <paramref name="x"/> <c>[B, T, I]</c>; the output is <c>[B, T, D·Hout]</c>.</summary>
    public RecurrentResult ForwardBatchFirst(Tensor x, Tensor? h0 = null, Tensor? c0 = null, int[]? lengths = null)
    {
        if (x.Rank != 3) throw new ArgumentException($"x: expected [B, T, I], got {Tensor.ShapeString(x.Shape)}");
        var r = Forward(SwapFirstAxes(x), h0, c0, lengths);
        return r with { Output = SwapFirstAxes(r.Output) };
    }

    /// <summary>[A, B, F] → [B, A, F] (copy).</summary>
    public static Tensor SwapFirstAxes(Tensor x)
    {
        int a = x.Dim(0), b = x.Dim(1), f = x.Dim(2);
        var y = new Tensor(b, a, f);
        var src = x.Span;
        var dst = y.Span;
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                src.Slice((i * b + j) * f, f).CopyTo(dst.Slice((j * a + i) * f, f));
        return y;
    }
}
