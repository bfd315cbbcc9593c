using System.Numerics.Tensors;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>How the next character is drawn: softmax(logits / temperature), optionally restricted to the
/// <see cref="TopK"/> most likely, or the most likely one (<see cref="Greedy"/>).</summary>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0, bool Greedy = false)
{
    public void Validate()
    {
        if (!(Temperature > 0) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be positive, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top-k must be ≥ 0, got {TopK}");
    }
}

/// <summary>Generates text from a <see cref="CharLmModel"/> one character at a time, state carried (streaming, batch 1).
/// It generates from the model's weights as they are when it is created (a <see cref="FrozenSequential"/> copy).</summary>
public sealed class CharLmSampler
{
    private readonly CharLmModel _model;
    private readonly FrozenSequential _network;
    private readonly RecurrentState[] _state;
    private readonly float[] _logits, _probs;
    private readonly int[] _order;
    private int _last = -1;

    public CharLmSampler(CharLmModel model)
    {
        _model = model;
        _network = new FrozenSequential(model.Network);
        _state = _network.CreateState(1);
        int V = model.Vocabulary.Count;
        _logits = new float[V];
        _probs = new float[V];
        _order = new int[V];
    }

    /// <summary>Feeds <paramref name="text"/> through the model (its characters must be in the vocabulary).</summary>
    public void Prime(string text)
    {
        foreach (int id in _model.Vocabulary.Encode(text)) Feed(id);
    }

    private void Feed(int id)
    {
        _network.Step(id, _state, _logits);
        _last = id;
    }

    /// <summary>Yields <paramref name="length"/> generated characters. Without a prime the first input is a newline
    /// (or the first vocabulary character when the text had none).</summary>
    public IEnumerable<string> Generate(int length, SamplingOptions options, Rng rng)
    {
        options.Validate();
        if (_last < 0) Feed(_model.Vocabulary.TryGetId('\n', out int nl) ? nl : 0);
        for (int i = 0; i < length; i++)
        {
            int id = Choose(options, rng);
            Feed(id);
            yield return _model.Vocabulary[id];
        }
    }

    private int Choose(SamplingOptions o, Rng rng)
    {
        int V = _logits.Length;
        if (o.Greedy) return TensorPrimitives.IndexOfMax(_logits);
        int k = o.TopK > 0 ? Math.Min(o.TopK, V) : V;
        for (int i = 0; i < V; i++) _order[i] = i;
        if (k < V)
        {
            var logits = _logits;
            Array.Sort(_order, (a, b) => logits[b].CompareTo(logits[a]) != 0 ? logits[b].CompareTo(logits[a]) : a.CompareTo(b));
        }
        float max = float.NegativeInfinity;
        for (int j = 0; j < k; j++) max = Math.Max(max, _logits[_order[j]]);
        double sum = 0;
        for (int j = 0; j < k; j++)
        {
            float p = MathF.Exp((_logits[_order[j]] - max) / o.Temperature);
            _probs[j] = p;
            sum += p;
        }
        double u = rng.NextDouble() * sum, acc = 0;
        for (int j = 0; j < k; j++)
        {
            acc += _probs[j];
            if (u < acc) return _order[j];
        }
        return _order[k - 1];
    }
}
