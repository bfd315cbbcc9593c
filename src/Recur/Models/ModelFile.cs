using System.Text.Json;
using System.Text.Json.Nodes;
using Recur.Interop;
using Recur.Layers;
using Recur.Tensors;

namespace Recur.Models;

/// <summary>
/// Recur's model files (DESIGN.md §5): one <c>.safetensors</c> with the parameters under their
/// <c>module.param</c> names and <c>__metadata__</c> <c>recur.config</c> (JSON with <c>format_version</c> and
/// <c>kind</c>), <c>recur.vocab</c> where a vocabulary applies, and for checkpoints <c>recur.trainer</c>
/// plus <c>optim.*</c> (optimizer state) and <c>trainer.*</c> (the carried recurrent state) tensors.
/// Writes are atomic (<c>NAME.tmp</c>, flush, rename).
/// </summary>
public static class ModelFile
{
    public const int FormatVersion = 1;
    public const string ConfigKey = "recur.config", VocabKey = "recur.vocab", TrainerKey = "recur.trainer";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    /// <summary>Reads a file and checks it is one of ours of <paramref name="kind"/>: a clear <see cref="InvalidDataException"/>
    /// otherwise (not safetensors, truncated, no recur.config, another kind, a newer format).</summary>
    public static (SafetensorsFile File, JsonObject Config) Open(string path, string kind)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file");
        SafetensorsFile file;
        try { file = SafetensorsFile.Read(path); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a Recur model (not a valid safetensors file: {Strip(e.Message, path)})"); }
        if (!file.Metadata.TryGetValue(ConfigKey, out var configJson))
            throw new InvalidDataException($"{path}: not a Recur model (no {ConfigKey} in its metadata)");
        JsonObject? config;
        try { config = JsonNode.Parse(configJson) as JsonObject; }
        catch (JsonException) { config = null; }
        if (config is null) throw new InvalidDataException($"{path}: {ConfigKey} is not a JSON object");
        int version = config["format_version"]?.GetValue<int>() ?? 0;
        if (version < 1) throw new InvalidDataException($"{path}: {ConfigKey} has no format_version");
        if (version > FormatVersion) throw new InvalidDataException($"{path}: model format version {version} is newer than this Recur ({FormatVersion})");
        string? k = config["kind"]?.GetValue<string>();
        if (k != kind) throw new InvalidDataException($"{path}: a '{k ?? "(no kind)"}' model, expected '{kind}'");
        return (file, config);
    }

    private static string Strip(string message, string path) =>
        message.StartsWith(path + ": ", StringComparison.Ordinal) ? message[(path.Length + 2)..] : message;

    /// <summary>Copies each named tensor of <paramref name="file"/> into the parameter of that name; missing tensors or shape
    /// mismatches are an <see cref="InvalidDataException"/>.</summary>
    public static void LoadParameters(SafetensorsFile file, IEnumerable<(string Name, Parameter Parameter)> parameters, string path)
    {
        foreach (var (name, p) in parameters) LoadInto(file, name, p.Value, path);
    }

    public static void LoadInto(SafetensorsFile file, string name, Tensor target, string path)
    {
        if (!file.TryGet(name, out var t)) throw new InvalidDataException($"{path}: tensor '{name}' is missing");
        if (!t.Shape.AsSpan().SequenceEqual(target.Shape))
            throw new InvalidDataException($"{path}: tensor '{name}' has shape {Tensor.ShapeString(t.Shape)}, the configuration needs {Tensor.ShapeString(target.Shape)}");
        t.ToFloat32().AsSpan().CopyTo(target.Span);
    }
}
