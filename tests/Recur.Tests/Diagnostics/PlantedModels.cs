using Recur.Data;
using Recur.Tasks;

namespace Recur.Tests.Diagnostics;

/// <summary>Small char models for the diagnostics tests, some with a hand-set cell.</summary>
internal static class PlantedModels
{
    public const string Book = "Call me Ishmael. “Some years ago, never mind how long,” he said.\n\n“Whenever I find myself (grim) about the mouth;\n\n“whenever it is a damp, drizzly November in my soul,” then I account it high time.\n";

    public static string Text(int repeats) => string.Concat(Enumerable.Repeat(Book, repeats));

    /// <summary>A 1-layer LSTM whose cell <paramref name="unit"/> holds 1 from “ to ” (tanh(c) ≈ 0.76) and 0 elsewhere:
    /// its input gate opens only on quote marks, the forget gate closes on ”, the candidate is 1 on “ and 0 on ”.</summary>
    public static CharLmModel QuoteCell(int unit, int hidden = 12, int embed = 8)
    {
        var vocab = Vocabulary.FromText(Book);
        var model = CharLmModel.Create(new CharLmConfig { Cell = "lstm", Embed = embed, Hidden = hidden, Layers = 1 }, vocab, seed: 5);
        var net = model.Network;
        var emb = net.Embedding!.Weight.Value.Span;
        vocab.TryGetId('\u201C', out int open);
        vocab.TryGetId('\u201D', out int close);
        for (int v = 0; v < vocab.Count; v++)
        {
            emb[v * embed] = v == open ? 1 : 0;
            emb[v * embed + 1] = v == close ? 1 : 0;
        }
        var wIh = net["rnn.weight_ih_l0"].Value.Span;
        var wHh = net["rnn.weight_hh_l0"].Value.Span;
        var bIh = net["rnn.bias_ih_l0"].Value.Span;
        var bHh = net["rnn.bias_hh_l0"].Value.Span;
        int H = hidden;
        int i = unit, f = H + unit, g = 2 * H + unit, o = 3 * H + unit;
        foreach (int row in new[] { i, f, g, o })
        {
            wIh.Slice(row * embed, embed).Clear();
            wHh.Slice(row * H, H).Clear();
            bHh[row] = 0;
        }
        bIh[i] = -10; wIh[i * embed] = 20; wIh[i * embed + 1] = 20;
        bIh[f] = 10; wIh[f * embed + 1] = -20;
        bIh[g] = 0; wIh[g * embed] = 10;
        bIh[o] = 10;
        return model;
    }
}
