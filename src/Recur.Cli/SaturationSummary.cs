using Recur.Diagnostics;

namespace Recur.Cli;

/// <summary>Gate saturation of one layer summed up for the table: mean fractions and units saturated most of the time.</summary>
internal sealed record GateSummary(string Gate, double MeanLeft, double MeanRight, int UnitsMostlyLeft, int UnitsMostlyRight);

/// <summary>One layer's <see cref="GateSummary"/> per gate (layer 1-based).</summary>
internal sealed record LayerSaturation(int Layer, IReadOnlyList<GateSummary> Gates);

internal static class SaturationSummary
{
    public static IReadOnlyList<LayerSaturation> Of(ActivationRecording recording)
        => recording.Layers.Select(l => new LayerSaturation(l.Layer + 1, l.Saturation.GateNames.Select((g, k) =>
        {
            var left = l.Saturation.LeftFraction(k);
            var right = l.Saturation.RightFraction(k);
            return new GateSummary(g, Math.Round(left.Average(), 4), Math.Round(right.Average(), 4), left.Count(x => x > 0.5), right.Count(x => x > 0.5));
        }).ToList())).ToList();
}
