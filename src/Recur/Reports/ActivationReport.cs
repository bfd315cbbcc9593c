using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Recur.Diagnostics;

namespace Recur.Reports;

/// <summary>What the activation page shows first and lists beside the finder's cells.</summary>
public sealed record ActivationReportOptions
{
    public string Title { get; init; } = "Recur: what single cells learn";
    /// <summary>A line for the footer (model and text).</summary>
    public string Footer { get; init; } = "";
    /// <summary>The cell shown on opening (0-based layer and unit); default: the finder's best cell for the first feature that varies.</summary>
    public (int Layer, int Unit)? Initial { get; init; }
    /// <summary>Cells the user asked for (<c>--cells 3,17</c>), listed as buttons.</summary>
    public IReadOnlyList<(int Layer, int Unit)> Chosen { get; init; } = [];
}

/// <summary>
/// Writes the activation viewer: ONE self-contained HTML page (inline CSS and JavaScript, no external resource)
/// with the text coloured by the chosen cell, a layer/cell picker, the finder's cells per feature, the model's
/// top next-character predictions on hover and the gate-saturation scatter plots. The per-cell activations travel
/// as 8-bit values (base64, one string per cell, decoded on demand); colours are CSS classes, one per bucket.
/// </summary>
public static class ActivationReport
{
    public const int Buckets = 32;

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.Default };

    public static void Save(string path, ActivationRecording recording, IReadOnlyList<FeatureRanking> ranking, ActivationReportOptions? options = null)
    {
        string html = Render(recording, ranking, options);
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, html, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    public static string Render(ActivationRecording recording, IReadOnlyList<FeatureRanking> ranking, ActivationReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(ranking);
        options ??= new ActivationReportOptions();
        var initial = options.Initial ?? DefaultCell(recording, ranking);
        foreach (var (layer, unit) in options.Chosen.Append(initial))
            if (layer < 0 || layer >= recording.Layers.Count || unit < 0 || unit >= recording.Layers[layer].CellCount)
                throw new ArgumentException($"cell {unit} of layer {layer + 1} does not exist (the model has {recording.Layers.Count} layer(s) of {recording.Layers[0].CellCount} cells)");

        var data = new
        {
            length = recording.Length,
            text = string.Concat(recording.CodePoints.Select(char.ConvertFromUtf32)),
            layers = recording.Layers.Select(EncodeLayer).ToArray(),
            vocab = recording.Vocabulary,
            topK = recording.TopK,
            top = recording.TopIds,
            topP = recording.TopProbabilities.Select(p => (int)MathF.Round(p * 1000)).ToArray(),
            features = ranking.Select(f => new
            {
                name = f.Feature,
                description = f.Description,
                constant = f.Constant,
                best = f.Best.Select(c => new { l = c.Layer, u = c.Unit, r = Math.Round(c.R, 4) }).ToArray(),
            }).ToArray(),
            saturation = recording.Layers.Select(l => new
            {
                layer = l.Layer,
                gates = l.Saturation.GateNames.Select((g, k) => new
                {
                    name = g,
                    left = l.Saturation.LeftFraction(k).Select(x => Math.Round(x, 3)).ToArray(),
                    right = l.Saturation.RightFraction(k).Select(x => Math.Round(x, 3)).ToArray(),
                }).ToArray(),
            }).ToArray(),
            initial = new { l = initial.Layer, u = initial.Unit },
            chosen = options.Chosen.Select(c => new { l = c.Layer, u = c.Unit }).ToArray(),
            footer = options.Footer,
        };
        string json = JsonSerializer.Serialize(data, Json);   // '<', '>' and '&' escaped: safe inside <script>
        return Template()
            .Replace("/*TITLE*/", HtmlEncoder.Default.Encode(options.Title), StringComparison.Ordinal)
            .Replace("/*CLASSES*/", ColourClasses(), StringComparison.Ordinal)
            .Replace("/*BUCKETS*/", Buckets.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("/*DATA*/", json, StringComparison.Ordinal);
    }

    /// <summary>The finder's best cell for the first feature that varies, else the first cell of the last layer.</summary>
    public static (int Layer, int Unit) DefaultCell(ActivationRecording recording, IReadOnlyList<FeatureRanking> ranking)
    {
        var best = ranking.FirstOrDefault(f => f.Best.Count > 0)?.Best[0];
        return best is null ? (recording.Layers.Count - 1, 0) : (best.Layer, best.Unit);
    }

    /// <summary>One layer's cells as 8-bit codes over [−scale, scale] (127.5 is 0), base64, one string per cell.</summary>
    private static object EncodeLayer(LayerActivations layer)
    {
        var cells = layer.Cells;
        int units = layer.CellCount, N = cells.Length / units;
        float maxAbs = 0;
        foreach (float v in cells) if (float.IsFinite(v)) maxAbs = Math.Max(maxAbs, Math.Abs(v));
        float scale = maxAbs <= 1 ? 1 : maxAbs;   // tanh-bounded signals keep the fixed range [−1, 1]
        var bytes = new byte[N];
        var encoded = new string[units];
        for (int u = 0; u < units; u++)
        {
            for (int t = 0; t < N; t++) bytes[t] = Quantize(cells[t * units + u], scale);
            encoded[u] = Convert.ToBase64String(bytes);
        }
        return new { units, kind = layer.TanhCell is null ? "h" : "tanh(c)", scale, cells = encoded };
    }

    public static byte Quantize(float value, float scale)
    {
        if (!float.IsFinite(value)) return 128;
        return (byte)Math.Clamp((int)MathF.Round((value / scale + 1) * 127.5f), 0, 255);
    }

    private static string ColourClasses()
    {
        var sb = new StringBuilder(":root {");
        for (int k = 0; k < Buckets; k++) sb.Append($" --q{k}: {DivergingColourMap.BucketColour(k, Buckets)};");
        sb.Append(" }\n");
        for (int k = 0; k < Buckets; k++) sb.Append($".q{k} {{ background: var(--q{k}); }}\n");
        return sb.ToString();
    }

    private static string Template()
    {
        var asm = typeof(ActivationReport).Assembly;
        using var stream = asm.GetManifestResourceStream("Recur.Reports.ActivationReport.html")
            ?? throw new InvalidOperationException("the activation report template is missing from the assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
