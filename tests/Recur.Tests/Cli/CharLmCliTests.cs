using System.Text.Json;
using Recur.Cli;
using Recur.Tests.CharLm;

namespace Recur.Tests.Cli;

/// <summary>`recur train text`, `sample`, `eval`, `info` in-process: exit codes, one JSON object, one error line.</summary>
public class CharLmCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static JsonElement OneJson(string stdout)
    {
        var doc = JsonDocument.Parse(stdout);   // throws if there is anything but one JSON value
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        Assert.Single(stdout.Trim().Split('\n'));
        return doc.RootElement;
    }

    private static string[] TrainArgs(TempDir dir, params string[] more) =>
        ["train", "text", "--data", dir.File("book.txt"), "--hidden", "12", "--embed", "6", "--layers", "1", "--batch", "4", "--seq", "8",
         "--steps", more.Contains("--steps") ? more[Array.IndexOf(more, "--steps") + 1] : "20", .. more.Contains("--steps") ? RemoveSteps(more) : more,
         "--val-every", "10", "--val-fraction", "0.1", "--out", dir.File("m.safetensors")];

    private static string[] RemoveSteps(string[] a)
    {
        int i = Array.IndexOf(a, "--steps");
        return [.. a[..i], .. a[(i + 2)..]];
    }

    [Fact]
    public void Train_sample_eval_info_with_json()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("book.txt"), CharLmTests.Book);
        var (code, stdout, stderr) = Run(TrainArgs(dir, "--json"));
        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);   // no progress off a terminal
        var j = OneJson(stdout);
        Assert.Equal(20, j.GetProperty("steps").GetInt64());
        Assert.Equal(2, j.GetProperty("history").GetArrayLength());
        Assert.True(j.GetProperty("val_bpc").GetDouble() > 0);
        Assert.True(File.Exists(dir.File("m.safetensors")));
        Assert.True(new FileInfo(dir.File("m.loss.png")).Length > 1000);

        (code, stdout, stderr) = Run("sample", dir.File("m.safetensors"), "--prime", "the ", "--length", "30", "--seed", "4", "--json");
        Assert.True(code == 0, stderr);
        var s = OneJson(stdout);
        Assert.Equal(30, s.GetProperty("text").GetString()!.Length);
        var (_, again, _) = Run("sample", dir.File("m.safetensors"), "--prime", "the ", "--length", "30", "--seed", "4", "--json");
        Assert.Equal(stdout, again);
        (code, stdout, _) = Run("sample", dir.File("m.safetensors"), "--length", "10", "--greedy");
        Assert.Equal(0, code);

        (code, stdout, stderr) = Run("eval", dir.File("m.safetensors"), "--data", dir.File("book.txt"), "--offset", "10", "--length", "200", "--json");
        Assert.True(code == 0, stderr);
        var ev = OneJson(stdout);
        Assert.Equal(199, ev.GetProperty("predictions").GetInt32());
        Assert.Equal(ev.GetProperty("nats_per_char").GetDouble() / Math.Log(2), ev.GetProperty("bits_per_char").GetDouble(), 4);

        (code, stdout, _) = Run("info", dir.File("m.safetensors"), "--json");
        var info = OneJson(stdout);
        Assert.Equal("charlm", info.GetProperty("kind").GetString());
        Assert.Equal(20, info.GetProperty("training").GetProperty("steps").GetInt64());

        // resume to 30 steps from the checkpoint
        (code, stdout, stderr) = Run("train", "text", "--data", dir.File("book.txt"), "--val-fraction", "0.1", "--resume", dir.File("m.safetensors"), "--steps", "30", "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(30, OneJson(stdout).GetProperty("steps").GetInt64());
    }

    [Fact]
    public void Bad_input_is_one_line_and_a_non_zero_exit_with_nothing_overwritten()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("book.txt"), CharLmTests.Book);
        File.WriteAllText(dir.File("one.txt"), "aaaaaaaaaaaa");
        File.WriteAllBytes(dir.File("bin.txt"), [0x89, 0x50, 0x4E, 0x47, 0, 0, 1]);
        File.WriteAllText(dir.File("m.safetensors"), "precious");
        File.WriteAllText(dir.File("short.txt"), "abcabcabcabcabc");

        void UserError(string contains, params string[] args)
        {
            var (code, stdout, stderr) = Run(args);
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.Contains(contains, stderr);
            Assert.DoesNotContain("   at ", stderr);
        }

        UserError("no such file", TrainArgs(dir).Select(a => a == dir.File("book.txt") ? dir.File("missing.txt") : a).ToArray());
        UserError("one distinct character", TrainArgs(dir).Select(a => a == dir.File("book.txt") ? dir.File("one.txt") : a).ToArray());
        UserError("binary", TrainArgs(dir).Select(a => a == dir.File("book.txt") ? dir.File("bin.txt") : a).ToArray());
        UserError("too short", TrainArgs(dir).Select(a => a == dir.File("book.txt") ? dir.File("short.txt") : a).ToArray());
        UserError("unknown cell type", TrainArgs(dir, "--cell", "transformer"));
        Assert.Equal("precious", File.ReadAllText(dir.File("m.safetensors")));

        UserError("not a Recur model", "sample", dir.File("m.safetensors"));
        UserError("not a Recur model", "info", dir.File("book.txt"));
        UserError("no such model file", "eval", dir.File("nope.safetensors"), "--data", dir.File("book.txt"));

        // a real model, then characters it does not know
        File.Delete(dir.File("m.safetensors"));
        Assert.Equal(0, Run(TrainArgs(dir, "--steps", "2", "--json")).Code);
        UserError("'Q' (U+0051)", "sample", dir.File("m.safetensors"), "--prime", "Queequeg");
        File.WriteAllText(dir.File("other.txt"), "the cat sat\u2014Queequeg");
        UserError("U+2014", "eval", dir.File("m.safetensors"), "--data", dir.File("other.txt"));
        var bytes = File.ReadAllBytes(dir.File("m.safetensors"));
        File.WriteAllBytes(dir.File("cut.safetensors"), bytes[..(bytes.Length / 2)]);
        UserError("cut.safetensors", "info", dir.File("cut.safetensors"));

        var (usage, _, err) = Run("train", "text", "--hidden", "many");
        Assert.Equal(2, usage);
        Assert.Contains("recur:", err);
        Assert.Equal(2, Run("sample").Code);   // MODEL missing
    }

    [Fact]
    public void A_diverging_run_names_the_step_and_exits_1()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("book.txt"), CharLmTests.Book);
        var (code, stdout, stderr) = Run(TrainArgs(dir, "--steps", "200", "--optimizer", "sgd", "--lr", "1e38", "--clip", "0", "--schedule", "constant", "--json"));
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Matches("became (NaN|[+-]infinity) at step [0-9]+", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
