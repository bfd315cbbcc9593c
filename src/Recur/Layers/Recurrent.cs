using Recur.Cells;
using Recur.Tensors;

namespace Recur.Layers;

/// <summary>
/// A stack of recurrent layers (RNN, LSTM and variants, GRU), optionally bidirectional, with
/// PyTorch's parameter names and shapes. Time-major: input <c>[T, B, I]</c>.
/// <para><see cref="Forward"/> caches what <see cref="Backward"/> needs; Backward returns the
/// gradients of the input and initial states and accumulates every parameter's gradient.</para>
/// </summary>
public sealed partial class Recurrent
{
    private readonly List<Parameter> _parameters = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);

    public RecurrentOptions Options { get; }

    /// <summary>Parameters in state_dict order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Observes activations and gradient norms per step; null (the default) costs nothing.</summary>
    public IRecurrentRecorder? Recorder { get; set; }

    /// <summary>Variational dropout on the recurrent input h₋ while training; null (the default) for none.
    /// Set it back to null for evaluation.</summary>
    public RecurrentDropout? RecurrentDropout { get; set; }

    public Recurrent(RecurrentOptions options, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        CreateParameters();
        ResetParameters(new Random(seed));
    }

    public Parameter this[string name] =>
        _byName.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"no parameter '{name}' in this {Options.Cell.CliName()} layer");

    public bool TryGetParameter(string name, out Parameter parameter) => _byName.TryGetValue(name, out parameter!);

    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>PyTorch's default: every weight and bias ~ U(−k, k), k = 1/√H.</summary>
    public void ResetParameters(Random rng)
    {
        float k = 1f / MathF.Sqrt(Options.HiddenSize);
        foreach (var p in _parameters)
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1) * k;
        }
    }

    /// <summary>Name suffix of layer k, direction d: <c>_l{k}</c> or <c>_l{k}_reverse</c>.</summary>
    public static string Suffix(int layer, int direction) => direction == 0 ? $"_l{layer}" : $"_l{layer}_reverse";

    private void CreateParameters()
    {
        var o = Options;
        int g = o.Cell.Gates(), h = o.HiddenSize, hout = o.StateSize;
        for (int layer = 0; layer < o.NumLayers; layer++)
        {
            int input = layer == 0 ? o.InputSize : o.OutputSize;
            for (int d = 0; d < o.Directions; d++)
            {
                string sfx = Suffix(layer, d);
                Add("weight_ih" + sfx, g * h, input);
                Add("weight_hh" + sfx, g * h, hout);
                Add("bias_ih" + sfx, g * h);
                Add("bias_hh" + sfx, g * h);
                if (o.ProjSize > 0) Add("weight_hr" + sfx, o.ProjSize, h);
                if (o.Cell == CellType.LstmPeephole)
                {
                    Add("peephole_i" + sfx, h);
                    Add("peephole_f" + sfx, h);
                    Add("peephole_o" + sfx, h);
                }
            }
        }
    }

    private void Add(string name, params int[] shape)
    {
        var p = new Parameter(name, new Tensor(shape));
        _parameters.Add(p);
        _byName.Add(name, p);
    }
}
