using System.Text.Json;
using System.Text.Json.Nodes;
using Recur.Cells;
using Recur.Layers;
using Recur.Models;

namespace Recur.Interop;

/// <summary>The configuration of a bare recurrent stack (<c>recur.config</c>, kind <c>layer</c>): float input
/// <c>[T, B, input_size]</c>, no embedding and no head. Bidirectional stacks live here (a char model reads left to right).</summary>
public sealed record LayerConfig
{
    public int FormatVersion { get; init; } = ModelFile.FormatVersion;
    public string Kind { get; init; } = "layer";
    public string Cell { get; init; } = "lstm";
    public int InputSize { get; init; }
    public int HiddenSize { get; init; }
    public int NumLayers { get; init; } = 1;
    public bool Bidirectional { get; init; }
    public int ProjSize { get; init; }

    public RecurrentOptions ToOptions() => new(CellTypes.Parse(Cell), InputSize, HiddenSize, NumLayers, Bidirectional, ProjSize);

    public static LayerConfig From(RecurrentOptions o) => new()
    {
        Cell = o.Cell.CliName(),
        InputSize = o.InputSize,
        HiddenSize = o.HiddenSize,
        NumLayers = o.NumLayers,
        Bidirectional = o.Bidirectional,
        ProjSize = o.ProjSize,
    };
}

/// <summary>
/// A model file holding one <see cref="Recurrent"/> stack (kind <c>layer</c>): the tensors are <c>rnn.weight_ih_l0</c> …
/// (PyTorch's names under the module name <c>rnn</c>, DESIGN.md §5). What <c>recur import torch</c> writes for a
/// state_dict without an embedding and a head, and what <c>recur export onnx</c> reads besides char models.
/// </summary>
public static class LayerModel
{
    public const string Kind = "layer", Prefix = "rnn.";

    public static void Save(Recurrent rnn, string path)
    {
        var w = new SafetensorsWriter();
        w.Metadata[ModelFile.ConfigKey] = JsonSerializer.Serialize(LayerConfig.From(rnn.Options), ModelFile.Json);
        foreach (var p in rnn.Parameters) w.Add(Prefix + p.Name, p.Value);
        w.Save(path);
    }

    public static Recurrent Load(string path)
    {
        var (file, json) = ModelFile.Open(path, Kind);
        return FromFile(file, json, path);
    }

    internal static Recurrent FromFile(SafetensorsFile file, JsonObject json, string path)
    {
        LayerConfig? c;
        try { c = json.Deserialize<LayerConfig>(ModelFile.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: recur.config is malformed: {e.Message}"); }
        if (c is null) throw new InvalidDataException($"{path}: recur.config is empty");
        RecurrentOptions options;
        try
        {
            options = c.ToOptions();
            options.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: recur.config: {e.Message}"); }
        var rnn = new Recurrent(options);
        foreach (var p in rnn.Parameters) ModelFile.LoadInto(file, Prefix + p.Name, p.Value, path);
        return rnn;
    }

    /// <summary>The <c>kind</c> of a Recur model file (a clear error for anything else).</summary>
    public static string KindOf(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file");
        IReadOnlyDictionary<string, string> metadata;
        try { metadata = SafetensorsFile.ReadMetadata(path); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a Recur model (not a valid safetensors file: {e.Message})"); }
        if (!metadata.TryGetValue(ModelFile.ConfigKey, out var config))
            throw new InvalidDataException($"{path}: not a Recur model (no {ModelFile.ConfigKey} in its metadata; a PyTorch state_dict is converted with 'recur import torch')");
        try { return (JsonNode.Parse(config) as JsonObject)?["kind"]?.GetValue<string>() ?? "(no kind)"; }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new InvalidDataException($"{path}: {ModelFile.ConfigKey} is not a JSON object"); }
    }
}
