using System.Text.Json;
using Recur.Cli;
using Recur.Tests.CharLm;
using Recur.Tests.Diagnostics;

namespace Recur.Tests.Cli;

/// <summary>`recur visualize` in-process: the report, the finder's table as JSON, one clear line for bad input.</summary>
public class VisualizeCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static (string Model, string Text) Files(TempDir dir)
    {
        string model = dir.File("quote.safetensors"), text = dir.File("book.txt");
        PlantedModels.QuoteCell(unit: 5).Save(model);
        File.WriteAllText(text, PlantedModels.Text(5));
        return (model, text);
    }

    [Fact]
    public void JsonHoldsTheFinderTableAndThePageIsWritten()
    {
        using var dir = new TempDir();
        var (model, text) = Files(dir);
        string page = dir.File("r.html");
        var (code, stdout, stderr) = Run("visualize", model, text, "--out", page, "--json", "--regex", "soul", "--top", "3");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Single(stdout.Trim().Split('\n'));
        var features = doc.RootElement.GetProperty("features");
        var quotes = features.EnumerateArray().Single(f => f.GetProperty("feature").GetString() == "inside quotes");
        var best = quotes.GetProperty("best")[0];
        Assert.Equal(1, best.GetProperty("layer").GetInt32());
        Assert.Equal(5, best.GetProperty("cell").GetInt32());
        Assert.True(best.GetProperty("r").GetDouble() > 0.95);
        Assert.Equal(3, quotes.GetProperty("best").GetArrayLength());
        Assert.Contains(features.EnumerateArray(), f => f.GetProperty("feature").GetString() == "regex soul");
        Assert.Equal(3, doc.RootElement.GetProperty("saturation")[0].GetProperty("gates").GetArrayLength());
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(page));
        Assert.False(File.Exists(page + ".tmp"));
    }

    [Fact]
    public void TableAndChosenCells()
    {
        using var dir = new TempDir();
        var (model, text) = Files(dir);
        var (code, stdout, stderr) = Run("visualize", model, text, "--out", dir.File("r.html"), "--cells", "3,1:7", "--length", "300", "--offset", "10");
        Assert.True(code == 0, stderr);
        Assert.Contains("300 characters", stdout);
        Assert.Contains("inside quotes", stdout);
        Assert.Contains("gate saturation", stdout);
        Assert.Contains("\"chosen\":[{\"l\":0,\"u\":3},{\"l\":0,\"u\":7}]", File.ReadAllText(dir.File("r.html")));
    }

    [Fact]
    public void GruCellsAreTheHiddenStateWithResetAndUpdateGates()
    {
        using var dir = new TempDir();
        var (_, text) = Files(dir);
        string model = dir.File("gru.safetensors");
        var vocab = Recur.Data.Vocabulary.FromText(PlantedModels.Book);
        Recur.Tasks.CharLmModel.Create(new Recur.Tasks.CharLmConfig { Cell = "gru", Embed = 6, Hidden = 9, Layers = 2 }, vocab, seed: 2).Save(model);
        var (code, stdout, stderr) = Run("visualize", model, text, "--out", dir.File("g.html"), "--json", "--cells", "2:8");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("h", doc.RootElement.GetProperty("cell_signal").GetString());
        var gates = doc.RootElement.GetProperty("saturation")[1].GetProperty("gates");
        Assert.Equal(["r", "z"], gates.EnumerateArray().Select(g => g.GetProperty("gate").GetString()!).ToArray());
        Assert.Contains("\"initial\":{\"l\":1,\"u\":8}", File.ReadAllText(dir.File("g.html")));
    }

    [Theory]
    [InlineData("--cells", "2:1", "layer 2 does not exist")]
    [InlineData("--cells", "12", "cell 12 does not exist")]
    [InlineData("--cells", "x", "'x' is not a cell")]
    [InlineData("--regex", "(", "--regex: not a valid regular expression")]
    [InlineData("--offset", "999999", "past the end")]
    [InlineData("--length", "-1", "must be ≥ 0")]
    public void BadInputIsOneLineAndExitOne(string option, string value, string message)
    {
        using var dir = new TempDir();
        var (model, text) = Files(dir);
        var (code, stdout, stderr) = Run("visualize", model, text, "--out", dir.File("r.html"), option, value);
        Assert.Equal(CliApp.UserError, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void MissingFilesAndForeignCharacters()
    {
        using var dir = new TempDir();
        var (model, text) = Files(dir);
        var (code, _, stderr) = Run("visualize", dir.File("none.safetensors"), text);
        Assert.Equal(CliApp.UserError, code);
        Assert.Contains("no such model file", stderr);
        (code, _, stderr) = Run("visualize", model, dir.File("none.txt"));
        Assert.Equal(CliApp.UserError, code);
        Assert.Contains("no such text file", stderr);
        File.WriteAllText(dir.File("z.txt"), "Call me Zorro");
        (code, _, stderr) = Run("visualize", model, dir.File("z.txt"), "--out", dir.File("r.html"));
        Assert.Equal(CliApp.UserError, code);
        Assert.Contains("'Z' (U+005A) at position 8 is not in the model's vocabulary", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
