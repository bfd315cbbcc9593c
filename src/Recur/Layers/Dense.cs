using Recur.Kernels;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Layers;

/// <summary>
/// A fully connected layer, as torch.nn.Linear: y = x·Wᵀ + b with W <c>[O, I]</c>, b <c>[O]</c>.
/// Rows are independent, so a time-major <c>[T, B, I]</c> sequence is one GEMM over all T·B rows.
/// </summary>
public sealed class Dense
{
    public int InputSize { get; }
    public int OutputSize { get; }
    /// <summary><c>{name}.weight</c> <c>[O, I]</c>.</summary>
    public Parameter Weight { get; }
    /// <summary><c>{name}.bias</c> <c>[O]</c>.</summary>
    public Parameter Bias { get; }

    public Dense(int inputSize, int outputSize, Rng rng, string name = "head")
    {
        if (inputSize < 1 || outputSize < 1) throw new ArgumentException($"dense sizes must be positive, got {inputSize} → {outputSize}");
        InputSize = inputSize;
        OutputSize = outputSize;
        Weight = new Parameter(name + ".weight", new Tensor(outputSize, inputSize));
        Bias = new Parameter(name + ".bias", new Tensor(outputSize));
        // PyTorch's default: W and b ~ U(−1/√I, 1/√I).
        float k = 1f / MathF.Sqrt(inputSize);
        foreach (var p in new[] { Weight, Bias })
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (float)rng.Uniform(-k, k);
        }
    }

    public IEnumerable<Parameter> Parameters => [Weight, Bias];

    // y[N, O] = x[N, I] · Wᵀ + b
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        int I = InputSize, O = OutputSize;
        if (x.Length < rows * I || y.Length < rows * O) throw new ArgumentException($"dense: {rows} rows need x of {rows * I} and y of {rows * O} values");
        var b = Bias.Value.Span;
        for (int r = 0; r < rows; r++) b.CopyTo(y.Slice(r * O, O));
        // A few rows (a streaming step): one contiguous dot product per output, W read row by row.
        if (rows <= Gemv.MaxRows) Gemv.MultiplyTransposed(rows, O, I, x, I, Weight.Value.Span, I, 1f, y, O);
        else Gemm.Sgemm(Op.None, Op.Transpose, rows, O, I, 1f, x, I, Weight.Value.Span, I, 1f, y, O);
    }

    // dW[O, I] += dyᵀ · x;  db[O] += Σ_rows dy;  dx[N, I] = dy · W (skipped when dx is empty)
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, Span<float> dx)
    {
        int I = InputSize, O = OutputSize;
        if (x.Length < rows * I || dy.Length < rows * O) throw new ArgumentException($"dense backward: {rows} rows need x of {rows * I} and dy of {rows * O} values");
        Gemm.Sgemm(Op.Transpose, Op.None, O, I, rows, 1f, dy, O, x, I, 1f, Weight.Grad.Span, I);
        Elementwise.AccumulateColumnSums(dy[..(rows * O)], Bias.Grad.Span);
        if (!dx.IsEmpty)
            Gemm.Sgemm(Op.None, Op.None, rows, I, O, 1f, dy, O, Weight.Value.Span, I, 0f, dx, I);
    }
}
