using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Layers;

namespace Recur.Training;

/// <summary>Gradient clipping (Pascanu, Mikolov &amp; Bengio 2013): by global norm, and by value.</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients together (float64 accumulation).</summary>
    public static double GlobalNorm(IEnumerable<Parameter> parameters)
    {
        double s = 0;
        foreach (var p in parameters) s += Elementwise.SumOfSquares(p.Grad.Span);
        return Math.Sqrt(s);
    }

    /// <summary>If the global norm exceeds <paramref name="maxNorm"/>, scales every gradient by maxNorm/(norm + 1e−6)
    /// (PyTorch's clip_grad_norm_). Returns the norm before clipping.</summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        var ps = parameters as IReadOnlyCollection<Parameter> ?? parameters.ToList();
        double norm = GlobalNorm(ps);
        if (maxNorm > 0 && norm > maxNorm)
        {
            float scale = (float)(maxNorm / (norm + 1e-6));
            foreach (var p in ps) TensorPrimitives.Multiply(p.Grad.Span, scale, p.Grad.Span);
        }
        return norm;
    }

    /// <summary>Clamps every gradient value to [−c, c].</summary>
    public static void ClipByValue(IEnumerable<Parameter> parameters, float c)
    {
        if (!(c > 0)) throw new ArgumentException($"clip value must be positive, got {c}");
        foreach (var p in parameters) TensorPrimitives.Clamp(p.Grad.Span, -c, c, p.Grad.Span);
    }
}
