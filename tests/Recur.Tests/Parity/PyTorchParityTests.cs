using System.Globalization;
using System.Text;
using Recur.Cells;
using Recur.Interop;
using Recur.Layers;
using Recur.Tensors;
using Xunit.Abstractions;

namespace Recur.Tests.Parity;

/// <summary>
/// PyTorch parity: every case of the reference-fixture folder (<c>RECUR_FIXTURES</c>, else the copied
/// tests/fixtures) is run through <see cref="Recurrent"/> in float32, forward and backward, and every
/// stored tensor is compared: forward ≤ 1e-5 × max(1, max|ref|), gradients ≤ 1e-4 × max(1, max|ref|).
/// </summary>
public sealed class PyTorchParityTests(ITestOutputHelper output)
{
    public const double ForwardTolerance = 1e-5;
    public const double GradientTolerance = 1e-4;

    /// <summary>Row prefix used when the manifest cannot be read: the row then fails with the reason.</summary>
    private const string NoManifestRow = "(manifest unreadable) ";

    /// <summary>One row per case of the manifest; a missing or broken manifest gives one failing row, never zero rows.</summary>
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        try
        {
            foreach (var c in FixtureManifest.Default.Cases) data.Add(c.Name);
        }
        catch (Exception e)
        {
            data.Add(NoManifestRow + FixtureManifest.DefaultFolder() + ": " + e.GetType().Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case(string name)
    {
        // Throws (fails) with the manifest's own error when it is missing or malformed.
        var manifest = FixtureManifest.Default;
        Assert.False(name.StartsWith(NoManifestRow, StringComparison.Ordinal), $"the manifest could not be read: {name}");
        var c = manifest[name];
        var failures = new List<string>();
        Run(manifest, c, failures, output.WriteLine);
        if (failures.Count > 0)
            Assert.Fail($"case '{c.Name}' ({c.Cell}, I={c.InputSize} H={c.HiddenSize} P={c.ProjSize} L={c.NumLayers} "
                + $"{(c.Bidirectional ? "bidirectional" : "unidirectional")} T={c.SeqLen} B={c.Batch}): {failures.Count} mismatch(es)\n  "
                + string.Join("\n  ", failures));
    }

    /// <summary>Runs one case; appends one line per failing tensor to <paramref name="failures"/>.</summary>
    internal static void Run(FixtureManifest manifest, FixtureCase c, List<string> failures, Action<string>? log = null)
    {
        // An unknown cell type is an error (CellTypes.Parse throws), never a skip.
        CellType cell;
        try { cell = CellTypes.Parse(c.Cell); }
        catch (ArgumentException e) { throw new InvalidOperationException($"case '{c.Name}': {e.Message}", e); }

        var file = SafetensorsFile.Read(manifest.PathOf(c));
        var layer = new Recurrent(new RecurrentOptions(cell, c.InputSize, c.HiddenSize, c.NumLayers, c.Bidirectional, c.ProjSize));

        // Weights: every fixture parameter must exist in the layer with the same shape, and vice versa.
        foreach (string p in c.ParamNames)
        {
            if (!layer.TryGetParameter(p, out var param))
                throw new InvalidOperationException($"case '{c.Name}': fixture parameter '{p}' does not exist in the {cell.CliName()} layer (layer has: {string.Join(", ", layer.Parameters.Select(q => q.Name))})");
            var t = Require(file, c, p);
            if (!param.Value.HasShape(t.Shape))
                throw new InvalidOperationException($"case '{c.Name}': parameter '{p}' is {Tensor.ShapeString(param.Shape)} in the layer but {Tensor.ShapeString(t.Shape)} in the fixture");
            t.ToFloat32().CopyTo(param.Value.Span);
        }
        var missing = layer.Parameters.Select(q => q.Name).Except(c.ParamNames).ToArray();
        if (missing.Length > 0)
            throw new InvalidOperationException($"case '{c.Name}': layer parameter(s) {string.Join(", ", missing)} have no value in the fixture's param_names");

        bool lstm = cell.IsLstm();
        var x = Require(file, c, "x").ToTensor();
        var h0 = Require(file, c, "h0").ToTensor();
        var c0 = lstm ? Require(file, c, "c0").ToTensor() : null;
        int[]? lengths = file.TryGet("lengths", out var lt) ? lt.ToInt64().Select(n => checked((int)n)).ToArray() : null;

        var r = layer.Forward(x, h0, c0, lengths);
        var compared = new HashSet<string>(StringComparer.Ordinal);
        Compare(c, file, "output", r.Output, ForwardTolerance, failures, compared, log);
        Compare(c, file, "h_n", r.HN, ForwardTolerance, failures, compared, log);
        if (lstm) Compare(c, file, "c_n", r.CN, ForwardTolerance, failures, compared, log);

        layer.ZeroGrad();
        var g = layer.Backward(
            Require(file, c, "grad_output").ToTensor(),
            Require(file, c, "grad_h_n").ToTensor(),
            lstm ? Require(file, c, "grad_c_n").ToTensor() : null);
        Compare(c, file, "grad.x", g.X, GradientTolerance, failures, compared, log);
        Compare(c, file, "grad.h0", g.H0, GradientTolerance, failures, compared, log);
        if (lstm) Compare(c, file, "grad.c0", g.C0, GradientTolerance, failures, compared, log);
        foreach (string p in c.ParamNames)
            Compare(c, file, "grad." + p, layer[p].Grad, GradientTolerance, failures, compared, log);

        // Every stored result must have been checked (a gradient we do not know is an error, not a skip).
        foreach (var t in file.Tensors)
        {
            bool isResult = t.Name.StartsWith("grad.", StringComparison.Ordinal) || t.Name is "output" or "h_n" or "c_n";
            if (isResult && !compared.Contains(t.Name))
                failures.Add($"{t.Name}: stored in the fixture but not produced by the layer");
        }
    }

    private static SafetensorsTensor Require(SafetensorsFile file, FixtureCase c, string name) =>
        file.TryGet(name, out var t) ? t : throw new InvalidOperationException($"case '{c.Name}': tensor '{name}' missing from {c.File}");

    /// <summary>max |actual − ref| ≤ tol × max(1, max|ref|); a failure names the tensor, the error and its index.</summary>
    internal static void Compare(FixtureCase c, SafetensorsFile file, string name, Tensor? actual, double tol,
        List<string> failures, HashSet<string> compared, Action<string>? log)
    {
        compared.Add(name);
        var reference = Require(file, c, name);
        if (actual is null)
        {
            failures.Add($"{name}: the layer returned null, the fixture has {Tensor.ShapeString(reference.Shape)}");
            return;
        }
        if (!actual.HasShape(reference.Shape))
        {
            failures.Add($"{name}: shape {Tensor.ShapeString(actual.Shape)}, expected {Tensor.ShapeString(reference.Shape)}");
            return;
        }
        var expected = reference.ToFloat64();
        var got = actual.Span;
        double maxRef = 0, maxErr = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
            double err = Math.Abs(got[i] - expected[i]);
            if (double.IsNaN(err)) err = double.PositiveInfinity;
            if (err > maxErr || at < 0) { maxErr = err; at = i; }
        }
        double bound = tol * Math.Max(1.0, maxRef);
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"{name} {Tensor.ShapeString(reference.Shape)}: max abs error {maxErr:G3}");
        if (at >= 0)
            summary += string.Create(CultureInfo.InvariantCulture,
                $" at {Index(at, reference.Shape)} (got {got[at]:G9}, expected {expected[at]:G9})");
        summary += string.Create(CultureInfo.InvariantCulture, $", bound {bound:G3} (max|ref| {maxRef:G3})");
        log?.Invoke((maxErr <= bound ? "ok    " : "FAIL  ") + summary);
        if (!(maxErr <= bound)) failures.Add(summary);
    }

    private static string Index(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int a = shape.Length - 1; a >= 0; a--)
        {
            idx[a] = shape[a] == 0 ? 0 : flat % shape[a];
            flat = shape[a] == 0 ? 0 : flat / shape[a];
        }
        var sb = new StringBuilder("[");
        sb.AppendJoin(", ", idx);
        return sb.Append(']').ToString();
    }
}

/// <summary>Checks of the fixture folder itself, independent of the layer.</summary>
public sealed class FixtureFolderTests
{
    [Fact]
    public void Manifest_CoversEveryCellType()
    {
        var covered = FixtureManifest.Default.Cases.Select(c => CellTypes.Parse(c.Cell)).ToHashSet();
        var missing = Enum.GetValues<CellType>().Where(t => !covered.Contains(t)).ToArray();
        Assert.True(missing.Length == 0, "the fixtures cover no case of: " + string.Join(", ", missing.Select(t => t.FixtureName())));
    }

    [Fact]
    public void Manifest_CoversEveryOption()
    {
        var cases = FixtureManifest.Default.Cases;
        foreach (var cell in Enum.GetValues<CellType>())
            Assert.True(cases.Any(c => CellTypes.Parse(c.Cell) == cell && c.Bidirectional), $"no bidirectional {cell.FixtureName()} case");
        Assert.Contains(cases, c => c.ProjSize > 0 && c.Bidirectional && c.NumLayers > 1);
        Assert.Contains(cases, c => c.ProjSize > 0 && !c.Bidirectional && c.NumLayers > 1);
        Assert.Contains(cases, c => c.NumLayers >= 3);
        Assert.Contains(cases, c => c.SeqLen >= 300);
        Assert.Contains(cases, c => c.Tensors.Any(t => t.Name == "lengths") && c.Bidirectional && c.NumLayers > 1);
    }

    [Fact]
    public void EveryCaseFile_MatchesItsManifestEntry()
    {
        var manifest = FixtureManifest.Default;
        foreach (var c in manifest.Cases)
        {
            var f = SafetensorsFile.Read(manifest.PathOf(c));
            Assert.Equal(FixtureManifest.Format, f.Metadata["format"]);
            Assert.Equal(c.Name, f.Metadata["case"]);
            Assert.Equal(c.Cell, f.Metadata["cell"]);
            Assert.Equal(c.HiddenSize.ToString(CultureInfo.InvariantCulture), f.Metadata["hidden_size"]);
            Assert.Equal(c.Bidirectional ? "true" : "false", f.Metadata["bidirectional"]);
            Assert.True(f.Metadata.ContainsKey("generator"), $"{c.Name}: no generator metadata");
            foreach (var t in c.Tensors)
            {
                Assert.True(f.TryGet(t.Name, out var st), $"{c.Name}: tensor '{t.Name}' of the manifest missing from {c.File}");
                Assert.Equal(t.Shape, st.Shape);
                Assert.Equal(t.DType, st.DType.HeaderName());
            }
            foreach (string p in c.ParamNames)
                Assert.True(f.Contains(p) && f.Contains("grad." + p), $"{c.Name}: parameter '{p}' or its gradient missing");
        }
    }
}
