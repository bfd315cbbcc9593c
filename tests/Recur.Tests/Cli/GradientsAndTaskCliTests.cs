using System.Text.Json;
using Recur.Cli;

namespace Recur.Tests.Cli;

public sealed class GradientsAndTaskCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-grad-" + Guid.NewGuid().ToString("N"));

    public GradientsAndTaskCliTests() => Directory.CreateDirectory(_dir);

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

    private static JsonElement SingleJson(string stdout)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(stdout.Trim()));
        using var doc = JsonDocument.ParseValue(ref reader);
        Assert.Equal(stdout.Trim().Length, (int)reader.BytesConsumed);   // nothing after the object
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Gradients_DefaultSettings_ShowVanishingExplodingHolding_InJsonAndPng()
    {
        string png = Path.Combine(_dir, "flow.png");
        var (code, stdout, stderr) = Run("gradients", "--hidden", "32", "--length", "40", "--batch", "8", "--plot", png, "--json");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var root = SingleJson(stdout);
        var settings = root.GetProperty("settings").EnumerateArray().ToDictionary(s => s.GetProperty("label").GetString()!);
        Assert.Equal(6, settings.Count);
        double Slope(string label) => settings[label].GetProperty("slope").GetDouble();
        double vanish = Slope("rnn ρ=0.5"), explode = Slope("rnn-relu ρ=1.5 identity"), hold = Slope("lstm chrono");
        Assert.True(hold - vanish >= 0.05 && explode - hold >= 0.05, $"{vanish} {explode} {hold}");
        Assert.True(Slope("lstm b_f=1") < hold, "a forget bias of 1 fades faster than chrono");
        Assert.Equal(41, settings["lstm chrono"].GetProperty("log10_grad_h").GetArrayLength());
        Assert.Equal(41, settings["lstm chrono"].GetProperty("log10_grad_c").GetArrayLength());
        Assert.Equal(0.5, settings["rnn ρ=0.5"].GetProperty("spectrum")[0].GetProperty("spectral_radius").GetDouble(), 4);
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 1000 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G');
    }

    [Fact]
    public void Gradients_Table_ListsEachCellTimesEachScale()
    {
        var (code, stdout, stderr) = Run("gradients", "--cell", "rnn,gru", "--recurrent-scale", "0.9,1.1", "--hidden", "16", "--length", "20", "--plot", "none");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        foreach (var label in new[] { "rnn ρ=0.9", "rnn ρ=1.1", "gru ρ=0.9", "gru ρ=1.1" }) Assert.Contains(label, stdout);
        Assert.Contains("slope dec/step", stdout);
    }

    [Theory]
    [InlineData("gradients", "--recurrent-scale", "-1")]
    [InlineData("gradients", "--recurrent-scale", "0.5,,1")]
    [InlineData("gradients", "--cell", "lstmx")]
    [InlineData("gradients", "--cell", "rnn", "--init", "chrono")]
    [InlineData("gradients", "--init", "bogus")]
    [InlineData("gradients", "--length", "1")]
    [InlineData("gradients", "--input-scale", "-0.5")]
    [InlineData("gradients", "--plot", "/no/such/dir/x.png")]
    [InlineData("gradients", "--plot", "flow.jpg")]
    [InlineData("task", "parity", "--length", "10")]
    [InlineData("task", "adding", "--length", "1")]
    [InlineData("task", "adding", "--length", "10", "--clip", "-1")]
    [InlineData("task", "adding", "--length", "10", "--cell", "gru", "--init", "chrono")]
    [InlineData("task", "adding", "--length", "10", "--optimizer", "lbfgs")]
    [InlineData("task", "adding", "--length", "10", "--minutes", "0")]
    [InlineData("task", "adding", "--length", "10", "--recurrent-scale", "0")]
    public void BadInput_IsOneClearLine_ExitCode1(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("recur: ", lines[0]);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Task_WithoutLength_IsBadUsage()
    {
        var (code, _, stderr) = Run("task", "adding");
        Assert.Equal(2, code);
        Assert.Contains("--length", stderr);
    }

    [Fact]
    public void Task_Json_HasTheCurveAndTheOutcome()
    {
        string png = Path.Combine(_dir, "curve.png");
        var (code, stdout, stderr) = Run("task", "adding", "--length", "8", "--hidden", "8", "--steps", "20", "--eval-every", "10",
            "--held-out", "40", "--gradient-flow-every", "10", "--plot", png, "--json");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var root = SingleJson(stdout);
        Assert.Equal("adding", root.GetProperty("task").GetString());
        Assert.Equal("chrono", root.GetProperty("init").GetString());
        Assert.Equal(20, root.GetProperty("updates").GetInt64());
        Assert.Equal(3, root.GetProperty("curve").GetArrayLength());
        Assert.Equal(3, root.GetProperty("gradient_flow").GetArrayLength());
        Assert.Equal(1.0 / 6.0, root.GetProperty("baseline_loss").GetDouble(), 9);
        Assert.False(root.GetProperty("diverged").GetBoolean());
        Assert.True(File.Exists(png));
    }

    [Fact]
    public void Task_Text_SaysNotSolvedWhenTheBudgetEnds()
    {
        var (code, stdout, _) = Run("task", "copy", "--length", "30", "--hidden", "8", "--steps", "5", "--eval-every", "5", "--held-out", "20");
        Assert.Equal(0, code);
        Assert.Contains("baseline (trivial predictor) cross-entropy 0.4159", stdout);   // 10·ln 8 / 50
        Assert.Contains("not solved in the budget", stdout);
    }

    [Fact]
    public void Task_DivergenceWithoutClipping_IsReportedOnStderr_ExitCode1()
    {
        var (code, stdout, stderr) = Run("task", "adding", "--length", "100", "--cell", "rnn-relu", "--init", "identity", "--recurrent-scale", "1.5",
            "--optimizer", "sgd", "--clip", "0", "--hidden", "32", "--batch", "16", "--steps", "30", "--held-out", "32", "--eval-every", "10");
        Assert.Equal(1, code);
        Assert.Contains("diverged after", stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("recur: training diverged: ", line);
        Assert.Contains("--clip", line);
    }
}
