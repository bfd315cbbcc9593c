using Recur.Cells;
using Recur.Training;

namespace Recur.Layers;

/// <summary>
/// Variational (recurrent) dropout on h (Gal &amp; Ghahramani 2016): the state fed into each step's recurrent
/// product is m ⊙ h₋, with one mask m <c>[B, Hout]</c> per layer and direction, drawn at every
/// <see cref="Recurrent.Forward"/> and kept for all of its steps (m_j ∈ {0, 1/(1−p)}). The carried state
/// itself (c, GRU's z⊙h₋, a finished sequence's frozen state) is not masked. Training only: set
/// <see cref="Recurrent.RecurrentDropout"/> to null for evaluation and generation.
/// <para>Masks are drawn layer by layer, direction by direction, each row-major <c>[B, Hout]</c>, from
/// <paramref name="rng"/> — so a generator with the same state reproduces them.</para>
/// </summary>
public sealed class RecurrentDropout
{
    public RecurrentDropout(float p, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"recurrent dropout must be in [0, 1), got {p}");
        P = p;
        Rng = rng;
    }

    public float P { get; }
    public Rng Rng { get; }

    /// <summary>Fills <paramref name="mask"/> with 0 (probability p) or 1/(1−p).</summary>
    public void Draw(Span<float> mask)
    {
        float keep = 1f / (1f - P);
        Rng.FillDropoutMask(mask, P, keep);
    }

    /// <summary>GRU reset-before (Cho) feeds r⊙h₋ to its candidate product; that path is not masked here, so it is refused.</summary>
    internal static void EnsureSupported(CellType cell)
    {
        if (cell == CellType.GruResetBefore)
            throw new ArgumentException($"recurrent dropout is available for rnn, lstm and gru cells, not {cell.CliName()}");
    }
}
