using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Recur.Cells;
using Recur.Data;
using Recur.Interop;
using Recur.Layers;
using Recur.Models;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// What a forecasting model is (<c>recur.config</c>, kind <c>forecast</c>): the network, how its inputs are made from
/// the CSV (columns, window, differencing, scaling, calendar), its multi-step strategy, and the spread of its
/// validation errors per step ahead (for prediction intervals).
/// </summary>
public sealed record ForecastConfig
{
    public int FormatVersion { get; init; } = ModelFile.FormatVersion;
    public string Kind { get; init; } = "forecast";
    public string Cell { get; init; } = "lstm";
    public int Hidden { get; init; } = 50;
    public int Layers { get; init; } = 4;
    public float Dropout { get; init; } = 0.2f;
    public int InputSize { get; init; }
    /// <summary>Steps ahead the model is judged on; a direct model has this many outputs, a recursive one 1.</summary>
    public int Horizon { get; init; } = 1;
    /// <summary>direct (a Dense head with H outputs) or recursive (one output fed back).</summary>
    public string Strategy { get; init; } = "direct";
    public int Window { get; init; } = 60;
    public bool Difference { get; init; }
    public string Scale { get; init; } = "minmax";
    public bool Calendar { get; init; }
    public string Target { get; init; } = "";
    public string[] Features { get; init; } = [];
    public string? Date { get; init; }
    public string[]? DateParts { get; init; }
    public int? Season { get; init; }
    /// <summary>Standard deviation of the validation errors (y units) at each step ahead <c>[Horizon]</c>.</summary>
    public double[] ResidualSigma { get; init; } = [];
    public int McSamples { get; init; } = 100;

    [JsonIgnore] public bool Recursive => Strategy == "recursive";
    [JsonIgnore] public int Outputs => Recursive ? 1 : Horizon;
    [JsonIgnore] public CellType CellType => CellTypes.Parse(Cell);

    public static string ParseStrategy(string name) => name.Trim().ToLowerInvariant() switch
    {
        "direct" => "direct",
        "recursive" => "recursive",
        _ => throw new ArgumentException($"unknown multi-step strategy '{name}' (known: direct, recursive)"),
    };

    public FrameSettings ToFrameSettings(int testSize = 0, double valFraction = 0.1) => new()
    {
        Window = Window,
        Horizon = Outputs,
        Difference = Difference,
        Scale = Scaler.ParseKind(Scale),
        Calendar = Calendar,
        TestSize = testSize,
        ValFraction = valFraction,
    };

    public SequentialOptions ToSequentialOptions() =>
        new(CellType, InputSize, Hidden, Layers, Outputs, Dropout: Dropout, InputDropout: false);

    public string ToJson() => JsonSerializer.Serialize(this, ModelFile.Json);

    public static ForecastConfig FromJson(JsonObject json, string path)
    {
        ForecastConfig? c;
        try { c = json.Deserialize<ForecastConfig>(ModelFile.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: recur.config is malformed: {e.Message}"); }
        if (c is null) throw new InvalidDataException($"{path}: recur.config is empty");
        try
        {
            ParseStrategy(c.Strategy);
            c.ToFrameSettings().Validate();
            c.ToSequentialOptions().Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: recur.config: {e.Message}"); }
        return c;
    }
}

/// <summary>The scalers fitted on the training part (<c>recur.scaler</c>).</summary>
public sealed record ForecastScalers(Scaler Target, Scaler[] Features)
{
    public string ToJson() => JsonSerializer.Serialize(new
    {
        target = Entry(Target),
        features = Features.Select(Entry).ToArray(),
    });

    private static object Entry(Scaler s) => new { kind = Scaler.Name(s.Kind), offset = s.Offset, scale = s.Scale };

    public static ForecastScalers FromJson(string json, string path)
    {
        try
        {
            var o = JsonNode.Parse(json)!.AsObject();
            return new ForecastScalers(Read(o["target"]!), o["features"]!.AsArray().Select(n => Read(n!)).ToArray());
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{path}: recur.scaler is malformed");
        }
    }

    private static Scaler Read(JsonNode n) =>
        new(Scaler.ParseKind(n["kind"]!.GetValue<string>()), n["offset"]!.GetValue<double>(), n["scale"]!.GetValue<double>());
}

/// <summary>
/// A recurrent forecaster: features <c>[W, B, F]</c> → recurrent stack (dropout between layers and before the head)
/// → Dense(Hout, H) read at the last step; with its scalers. One <c>.safetensors</c> file (DESIGN.md §5).
/// </summary>
public sealed class ForecastModel
{
    public const string ScalerKey = "recur.scaler";

    public ForecastConfig Config { get; private set; }
    public ForecastScalers Scalers { get; }
    public Sequential Network { get; }

    private ForecastModel(ForecastConfig config, ForecastScalers scalers, Sequential network)
    {
        Config = config;
        Scalers = scalers;
        Network = network;
    }

    /// <summary>A freshly initialised model for <paramref name="frame"/>'s inputs (seeded).</summary>
    public static ForecastModel Create(ForecastConfig config, ForecastFrame frame, ulong seed)
    {
        config = config with { InputSize = frame.InputSize };
        var rng = new Rng(seed);
        var net = new Sequential(config.ToSequentialOptions(), rng);
        foreach (var r in net.Rnn) Initializers.Initialize(r, InitScheme.Default, rng, 1f);
        return new ForecastModel(config, new ForecastScalers(frame.TargetScaler, frame.FeatureScalers.ToArray()), net);
    }

    /// <summary>Records the validation error spread used for intervals.</summary>
    public void SetResidualSigma(double[] sigma) => Config = Config with { ResidualSigma = sigma };

    public void Save(string path)
    {
        var w = new SafetensorsWriter();
        w.Metadata[ModelFile.ConfigKey] = Config.ToJson();
        w.Metadata[ScalerKey] = Scalers.ToJson();
        foreach (var (name, p) in Network.NamedParameters) w.Add(name, p.Value);
        w.Save(path);
    }

    public static ForecastModel Load(string path)
    {
        var (file, json) = ModelFile.Open(path, "forecast");
        var config = ForecastConfig.FromJson(json, path);
        if (!file.Metadata.TryGetValue(ScalerKey, out var scalerJson)) throw new InvalidDataException($"{path}: no {ScalerKey} in its metadata");
        var scalers = ForecastScalers.FromJson(scalerJson, path);
        var net = new Sequential(config.ToSequentialOptions(), new Rng(0));
        ModelFile.LoadParameters(file, net.NamedParameters, path);
        return new ForecastModel(config, scalers, net);
    }

    /// <summary>A frame of <paramref name="table"/> with this model's scalers (for prediction past its end).</summary>
    public ForecastFrame FrameFor(SeriesTable table) => new(table, Config.ToFrameSettings(), Scalers.Target, Scalers.Features);
}
