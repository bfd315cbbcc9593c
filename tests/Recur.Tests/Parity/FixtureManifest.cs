using System.Text.Json;

namespace Recur.Tests.Parity;

/// <summary>One case of a reference-fixture folder's <c>manifest.json</c> (docs/fixtures-format.md).</summary>
public sealed record FixtureCase(
    string Name,
    string File,
    string Cell,
    int InputSize,
    int HiddenSize,
    int ProjSize,
    int NumLayers,
    bool Bidirectional,
    int SeqLen,
    int Batch,
    IReadOnlyList<string> ParamNames,
    IReadOnlyList<FixtureTensorInfo> Tensors);

public sealed record FixtureTensorInfo(string Name, int[] Shape, string DType);

/// <summary>A reference-fixture folder: <c>RECUR_FIXTURES</c> when set, else <c>fixtures</c> beside the test assembly.</summary>
public sealed class FixtureManifest
{
    public const string Format = "rnn-reference-fixture/1";
    public const string EnvironmentVariable = "RECUR_FIXTURES";

    private FixtureManifest(string folder, string? generator, IReadOnlyList<FixtureCase> cases)
    {
        Folder = folder;
        Generator = generator;
        Cases = cases;
    }

    public string Folder { get; }
    public string? Generator { get; }
    public IReadOnlyList<FixtureCase> Cases { get; }

    public string PathOf(FixtureCase c) => Path.Combine(Folder, c.File);

    public FixtureCase this[string name] =>
        Cases.FirstOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"case '{name}' is not in {Path.Combine(Folder, "manifest.json")}");

    public static string DefaultFolder()
    {
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(env)
            ? Path.Combine(AppContext.BaseDirectory, "fixtures")
            : Path.GetFullPath(env);
    }

    private static readonly Lazy<FixtureManifest> s_default = new(() => Load(DefaultFolder()));

    /// <summary>The manifest of <see cref="DefaultFolder"/>, loaded once; a missing or malformed manifest throws.</summary>
    public static FixtureManifest Default => s_default.Value;

    public static FixtureManifest Load(string folder)
    {
        string path = Path.Combine(folder, "manifest.json");
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException(
                $"reference fixture manifest not found: {path} (set {EnvironmentVariable} to a fixture folder, or regenerate tests/fixtures with make_fixtures.py)", path);
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
        var root = doc.RootElement;
        string format = Str(root, "format", path);
        if (format != Format)
            throw new InvalidDataException($"{path}: format '{format}', expected '{Format}'");
        string? generator = root.TryGetProperty("generator", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
        if (!root.TryGetProperty("cases", out var casesEl) || casesEl.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: no 'cases' array");
        var cases = new List<FixtureCase>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in casesEl.EnumerateArray())
        {
            string name = Str(c, "name", path);
            string where = $"{path}: case '{name}'";
            if (!names.Add(name)) throw new InvalidDataException($"{where} appears twice");
            var tensors = new List<FixtureTensorInfo>();
            foreach (var t in Arr(c, "tensors", where).EnumerateArray())
                tensors.Add(new FixtureTensorInfo(
                    Str(t, "name", where),
                    Arr(t, "shape", where).EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                    Str(t, "dtype", where)));
            cases.Add(new FixtureCase(
                name,
                Str(c, "file", where),
                Str(c, "cell", where),
                Int(c, "input_size", where),
                Int(c, "hidden_size", where),
                c.TryGetProperty("proj_size", out var p) ? p.GetInt32() : 0,
                Int(c, "num_layers", where),
                c.TryGetProperty("bidirectional", out var b) && b.GetBoolean(),
                Int(c, "seq_len", where),
                Int(c, "batch", where),
                Arr(c, "param_names", where).EnumerateArray().Select(n => n.GetString()!).ToArray(),
                tensors));
        }
        if (cases.Count == 0)
            throw new InvalidDataException($"{path}: the manifest lists no cases");
        return new FixtureManifest(folder, generator, cases);
    }

    private static string Str(JsonElement e, string key, string where) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InvalidDataException($"{where}: missing string field '{key}'");

    private static int Int(JsonElement e, string key, string where) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)
            ? i
            : throw new InvalidDataException($"{where}: missing integer field '{key}'");

    private static JsonElement Arr(JsonElement e, string key, string where) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array
            ? v
            : throw new InvalidDataException($"{where}: missing array field '{key}'");
}
