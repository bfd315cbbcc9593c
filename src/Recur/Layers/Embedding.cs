using Recur.Kernels;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Layers;

/// <summary>
/// A lookup table, as torch.nn.Embedding: weight <c>[V, E]</c>, token ids → rows.
/// Forward: ids <c>[N]</c> → y <c>[N, E]</c>. Backward adds each row of ∂L/∂y into the weight row of its id.
/// </summary>
public sealed class Embedding
{
    public int VocabSize { get; }
    public int Dim { get; }
    /// <summary><c>{name}.weight</c> <c>[V, E]</c>.</summary>
    public Parameter Weight { get; }

    public Embedding(int vocabSize, int dim, Rng rng, string name = "embedding")
    {
        if (vocabSize < 1 || dim < 1) throw new ArgumentException($"embedding sizes must be positive, got [{vocabSize}, {dim}]");
        VocabSize = vocabSize;
        Dim = dim;
        Weight = new Parameter(name + ".weight", new Tensor(vocabSize, dim));
        // PyTorch's default: N(0, 1).
        var w = Weight.Value.Span;
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextGaussian();
    }

    // y[n, :] = W[ids[n], :]
    public void Forward(ReadOnlySpan<int> ids, Span<float> output)
    {
        int e = Dim;
        if (output.Length != ids.Length * e) throw new ArgumentException($"embedding output: expected {ids.Length}×{e} values, got {output.Length}");
        var w = Weight.Value.Span;
        for (int n = 0; n < ids.Length; n++)
        {
            int id = ids[n];
            if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} outside [0, {VocabSize})");
            w.Slice(id * e, e).CopyTo(output.Slice(n * e, e));
        }
    }

    // dW[ids[n], :] += dy[n, :]
    public void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> gradOutput)
    {
        int e = Dim;
        if (gradOutput.Length != ids.Length * e) throw new ArgumentException($"embedding gradient: expected {ids.Length}×{e} values, got {gradOutput.Length}");
        var g = Weight.Grad.Span;
        for (int n = 0; n < ids.Length; n++)
        {
            var row = g.Slice(ids[n] * e, e);
            Elementwise.Add(row, gradOutput.Slice(n * e, e), row);
        }
    }
}
