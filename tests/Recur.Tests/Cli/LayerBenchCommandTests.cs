using System.Text.Json;
using Recur.Cli;

namespace Recur.Tests.Cli;

public class LayerBenchCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void LayerJsonHasBothResultsWithGflopsAndShareOfGemmPeak()
    {
        var (code, output, err) = Run("bench", "layer", "gru", "--hidden", "8", "--layers", "2", "--batch", "3", "--seq", "4", "--input", "5", "--repeat", "1", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["layer gru fwd+bwd", "layer gru fwd"], results.Select(r => r.GetProperty("name").GetString()));
        foreach (var r in results)
        {
            Assert.Equal("tokens/s", r.GetProperty("unit").GetString());
            Assert.True(r.GetProperty("ours").GetDouble() > 0);
            Assert.True(r.GetProperty("gflops").GetDouble() > 0);
            Assert.True(r.GetProperty("pct_of_gemm_peak").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, r.GetProperty("peer").ValueKind);
        }
        Assert.Equal(Environment.ProcessorCount, doc.RootElement.GetProperty("machine").GetProperty("threads").GetInt32());
    }

    [Fact]
    public void StreamReportsMicrosecondsPerStep()
    {
        var (code, output, err) = Run("bench", "stream", "lstm", "--hidden", "8", "--layers", "2", "--input", "3", "--repeat", "1", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement.GetProperty("results")[0];
        Assert.Equal("stream lstm 2x8 B=1", r.GetProperty("name").GetString());
        Assert.Equal("µs/step", r.GetProperty("unit").GetString());
        Assert.True(r.GetProperty("ours").GetDouble() > 0);
    }

    [Fact]
    public void CoresReportsARoundTripInNanoseconds()
    {
        var (code, output, err) = Run("bench", "cores", "--repeat", "2", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement.GetProperty("results")[0];
        Assert.Equal("cores: cache-line round trip", r.GetProperty("name").GetString());
        Assert.Equal("ns", r.GetProperty("unit").GetString());
        double median = r.GetProperty("ours").GetDouble();
        Assert.InRange(median, 1, 1e6);   // a real round trip: more than a nanosecond, less than a millisecond
        Assert.True(r.GetProperty("min").GetDouble() <= median && median <= r.GetProperty("max").GetDouble());
    }

    [Theory]
    [InlineData("bench", "cores", "--repeat", "0")]
    [InlineData("bench", "layer", "lstmx")]
    [InlineData("bench", "layer", "lstm", "--hidden", "0")]
    [InlineData("bench", "layer", "gru", "--proj", "2")]
    [InlineData("bench", "I2", "--threads", "0")]
    public void BadValuesAreOneLineAndExitOne(params string[] args)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(CliApp.UserError, code);
        Assert.Equal("", output);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("recur: ", err);
    }

    [Fact]
    public void UnknownOptionIsUsageError()
    {
        var (code, output, _) = Run("bench", "layer", "lstm", "--no-such-option");
        Assert.Equal(CliApp.Usage, code);
        Assert.Equal("", output);
    }
}
