using System.Text.Json;
using Recur.Cli;

namespace Recur.Tests.Reservoir;

public sealed class EsnCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-esn-" + Guid.NewGuid().ToString("N"));

    public EsnCliTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private string WriteCsv(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Json_PrintsExactlyOneObject_WithTheFigures()
    {
        var (code, stdout, stderr) = Run("esn", "mackey-glass", "--units", "120", "--density", "0.1", "--train", "600", "--test", "100", "--json");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(stdout.Trim()));
        using var doc = JsonDocument.ParseValue(ref reader);
        Assert.Equal(stdout.Trim().Length, (int)reader.BytesConsumed);   // nothing after the object
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal("mackey-glass", root.GetProperty("source").GetString());
        Assert.Equal(120, root.GetProperty("units").GetInt32());
        Assert.True(root.GetProperty("spectral_radius_found").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("nrmse_horizon").ValueKind);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("nrmse_test").ValueKind);
        Assert.Single(root.GetProperty("runs").EnumerateArray());
        Assert.Equal(84, root.GetProperty("horizon").GetInt32());
    }

    [Fact]
    public void CsvColumn_TrainsPredictsAndWritesPng()
    {
        var lines = new List<string> { "time,signal,other" };
        for (int t = 0; t < 900; t++) lines.Add(FormattableString.Invariant($"{t},{Math.Sin(0.3 * t):R},{t % 7}"));
        string csv = WriteCsv("s.csv", string.Join("\n", lines) + "\n");
        string png = Path.Combine(_dir, "p.png");
        var (code, stdout, stderr) = Run("esn", csv, "--target", "signal", "--units", "100", "--leak", "1", "--spectral-radius", "0.8",
            "--train", "700", "--test", "150", "--horizon", "50", "--mode", "one-step", "--plot", png);
        Assert.True(code == 0, stderr);
        Assert.Contains("NRMSE at step 50", stdout);
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 5000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.False(File.Exists(png + ".tmp"));
    }

    [Fact]
    public void MissingCsv_IsOneLineOnStderr_Exit1()
    {
        var (code, stdout, stderr) = Run("esn", Path.Combine(_dir, "nope.csv"), "--target", "x");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("nope.csv", stderr);
    }

    [Fact]
    public void UnknownColumn_NamesTheColumns_Exit1()
    {
        string csv = WriteCsv("a.csv", "a,b\n1,2\n3,4\n");
        var (code, _, stderr) = Run("esn", csv, "--target", "c");
        Assert.Equal(1, code);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("no column 'c'", stderr);
        Assert.Contains("a, b", stderr);
    }

    [Fact]
    public void NonNumericValue_NamesItsLine_Exit1()
    {
        string csv = WriteCsv("b.csv", "a,b\n1,2\n3,4\n\n5,oops\n6,7\n");
        var (code, _, stderr) = Run("esn", csv, "--target", "b", "--json");
        Assert.Equal(1, code);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("line 5", stderr);
        Assert.Contains("'oops'", stderr);
    }

    [Fact]
    public void TooShortSeries_And_BadOptions_AreUserOrUsageErrors()
    {
        string csv = WriteCsv("c.csv", "v\n1\n2\n3\n4\n");
        var (code, _, stderr) = Run("esn", csv, "--train", "200");
        Assert.Equal(1, code);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Equal(2, Run("esn", "lorenz", "--mode", "sideways").Code);
        Assert.Equal(1, Run("esn", "lorenz", "--leak", "0").Code);
    }
}
