using Recur.Cells;
using Recur.Layers;
using Recur.Tasks;

namespace Recur.Diagnostics;

/// <summary>Options of <see cref="ActivationRecording.Record"/>.</summary>
public sealed record ActivationRecordingOptions
{
    /// <summary>Keep every gate activation (<see cref="LayerActivations.Gates"/>); saturation statistics are kept anyway.</summary>
    public bool KeepGates { get; init; }
    /// <summary>How many of the most likely next characters to keep per position.</summary>
    public int TopK { get; init; } = 5;
    /// <summary>Characters per forward pass (the state is carried from one chunk to the next).</summary>
    public int Chunk { get; init; } = 256;
}

/// <summary>
/// A character model run over a text from a zero state, recorded per character and per layer: h, tanh(c), the gates
/// (LSTM i, f, o; GRU r, z) with their saturation statistics, and the model's most likely next characters.
/// Row t describes the network after it has read character t.
/// </summary>
public sealed class ActivationRecording
{
    private ActivationRecording(int[] codePoints, string cell, IReadOnlyList<LayerActivations> layers, int topK, int[] topIds, float[] topProbabilities, string[] vocabulary)
    {
        CodePoints = codePoints;
        Cell = cell;
        Layers = layers;
        TopK = topK;
        TopIds = topIds;
        TopProbabilities = topProbabilities;
        Vocabulary = vocabulary;
    }

    /// <summary>The recorded text, one code point per character.</summary>
    public int[] CodePoints { get; }
    public int Length => CodePoints.Length;
    /// <summary>The model's cell type (CLI name).</summary>
    public string Cell { get; }
    public IReadOnlyList<LayerActivations> Layers { get; }
    public int TopK { get; }
    /// <summary>Vocabulary ids of the <see cref="TopK"/> most likely next characters per position, most likely first: <c>[N, TopK]</c>.</summary>
    public int[] TopIds { get; }
    /// <summary>Their probabilities, <c>[N, TopK]</c>.</summary>
    public float[] TopProbabilities { get; }
    /// <summary>The model's vocabulary, one string per id.</summary>
    public string[] Vocabulary { get; }

    /// <summary>Runs <paramref name="model"/> over <paramref name="ids"/> (vocabulary ids) and records it.</summary>
    public static ActivationRecording Record(CharLmModel model, ReadOnlySpan<int> ids, ActivationRecordingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ActivationRecordingOptions();
        if (ids.Length < 1) throw new ArgumentException("the text to record is empty");
        if (options.Chunk < 1) throw new ArgumentException($"chunk must be ≥ 1, got {options.Chunk}");
        var net = model.Network;
        var o = net.Options;
        int N = ids.Length, V = o.OutputSize, k = Math.Clamp(options.TopK, 1, V);
        string[] gateNames = ActivationRecorder.GateNames(o.Cell);
        var layers = Enumerable.Range(0, o.NumLayers)
            .Select(l => new LayerActivations(l, N, o.HiddenSize, o.StateSize, o.Cell.IsLstm(), gateNames, options.KeepGates))
            .ToArray();

        var recorders = new ActivationRecorder[net.Rnn.Count];
        var previous = new IRecurrentRecorder?[net.Rnn.Count];
        for (int m = 0, first = 0; m < net.Rnn.Count; first += net.Rnn[m].Options.NumLayers, m++)
        {
            recorders[m] = new ActivationRecorder(layers, first, o.Cell);
            previous[m] = net.Rnn[m].Recorder;
        }
        var topIds = new int[N * k];
        var topProbs = new float[N * k];
        var probs = new float[V];
        var state = net.CreateState(1);
        try
        {
            for (int m = 0; m < recorders.Length; m++) net.Rnn[m].Recorder = recorders[m];
            for (int start = 0; start < N; start += options.Chunk)
            {
                int T = Math.Min(options.Chunk, N - start);
                foreach (var r in recorders) r.ChunkStart = start;
                var logits = net.Forward(ids.Slice(start, T), T, 1, state, training: false);
                for (int t = 0; t < T; t++)
                    TopPredictions.Select(logits.Slice(t * V, V), probs, topIds.AsSpan((start + t) * k, k), topProbs.AsSpan((start + t) * k, k));
            }
        }
        finally
        {
            for (int m = 0; m < recorders.Length; m++) net.Rnn[m].Recorder = previous[m];
        }
        var codePoints = new int[N];
        for (int i = 0; i < N; i++) codePoints[i] = model.Vocabulary.CodePoint(ids[i]);
        var vocabulary = Enumerable.Range(0, model.Vocabulary.Count).Select(i => model.Vocabulary[i]).ToArray();
        return new ActivationRecording(codePoints, model.Config.Cell, layers, k, topIds, topProbs, vocabulary);
    }
}
