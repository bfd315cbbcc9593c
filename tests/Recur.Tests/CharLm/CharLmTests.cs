using System.Text;
using Recur.Data;
using Recur.Interop;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Tests.CharLm;

public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("recur-test-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

public class CharLmTests
{
    internal const string Text =
        "the cat sat on the mat. the dog sat on the log. a cat and a dog sat on a mat and a log.\n" +
        "call me ishmael. some years ago, never mind how long precisely, having little money.\n";

    internal static string Book => string.Concat(Enumerable.Repeat(Text, 6));

    private static CharLmConfig Tiny(string cell = "lstm") => new() { Cell = cell, Embed = 8, Hidden = 16, Layers = 2 };

    private static CharLmTrainingOptions Options(long steps = 12) => new()
    {
        Batch = 4, Seq = 8, MaxSteps = steps, ValEvery = 0,
        Schedule = new LearningRateSchedule(ScheduleKind.Cosine, 1e-2f, 1e-3f, WarmupSteps: 2),
    };

    private static (CharLmTrainer Trainer, List<double> Losses) Make(CharLmTrainingOptions o, CharLmConfig? config = null, ulong seed = 5)
    {
        var corpus = TextCorpus.FromText(Book);
        var (train, val) = corpus.Split(0.1);
        var model = CharLmModel.Create(config ?? Tiny(), corpus.Vocabulary, seed);
        return (new CharLmTrainer(model, train, val, o), []);
    }

    private static List<double> RunSteps(CharLmTrainer t, long upTo)
    {
        var losses = new List<double>();
        while (t.Step < upTo) losses.Add(t.StepNext());
        return losses;
    }

    [Fact]
    public void Vocabulary_is_made_of_code_points_and_names_unknown_characters()
    {
        var v = Vocabulary.FromText("ab🐋a");
        Assert.Equal(3, v.Count);                 // the whale is one character (two UTF-16 units)
        Assert.Equal("🐋", v[2]);
        Assert.Equal([0, 1, 2, 0], v.Encode("ab🐋a"));
        var e = Assert.Throws<ArgumentException>(() => v.Encode("abz"));
        Assert.Contains("'z' (U+007A)", e.Message);
        Assert.Contains("position 2", e.Message);
        var back = Vocabulary.FromJson(v.ToJson());
        Assert.True(back.SameAs(v));
        Assert.Throws<InvalidDataException>(() => Vocabulary.FromJson("[\"ab\"]"));
    }

    [Fact]
    public void Corpus_rejects_unusable_text()
    {
        using var dir = new TempDir();
        Assert.Contains("only one distinct", Assert.Throws<InvalidDataException>(() => TextCorpus.FromText("aaaa")).Message);
        File.WriteAllBytes(dir.File("bin"), [1, 2, 0, 3]);
        Assert.Contains("binary", Assert.Throws<InvalidDataException>(() => TextCorpus.Load(dir.File("bin"))).Message);
        File.WriteAllBytes(dir.File("empty"), []);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => TextCorpus.Load(dir.File("empty"))).Message);
        File.WriteAllBytes(dir.File("latin1"), [0x63, 0xE9, 0x74]);
        Assert.Contains("UTF-8", Assert.Throws<InvalidDataException>(() => TextCorpus.Load(dir.File("latin1"))).Message);
        Assert.Throws<FileNotFoundException>(() => TextCorpus.Load(dir.File("missing")));
    }

    [Fact]
    public void Streams_cut_the_text_into_parallel_continuing_streams()
    {
        int[] ids = Enumerable.Range(0, 26).ToArray();
        var s = new TextStreams(ids, batch: 2, seq: 3);   // streams 0..12, 13..25
        Assert.Equal(13, s.StreamLength);
        Assert.Equal(4, s.BatchesPerEpoch);
        var x = new int[6];
        var y = new int[6];
        s.GetBatch(1, x, y);
        Assert.Equal([3, 16, 4, 17, 5, 18], x);    // time-major [T, B]
        Assert.Equal([4, 17, 5, 18, 6, 19], y);
        Assert.Contains("too short", Assert.Throws<ArgumentException>(() => new TextStreams(ids, 2, 13)).Message);
    }

    [Fact]
    public void Training_lowers_the_loss_and_is_reproducible()
    {
        var (a, _) = Make(Options(60));
        var la = RunSteps(a, 60);
        var (b, _) = Make(Options(60));
        var lb = RunSteps(b, 60);
        Assert.Equal(la, lb);                                        // bit-identical, same seed and threads
        Assert.True(la.Skip(50).Average() < la.Take(5).Average() - 0.3, $"loss {la.Take(5).Average()} -> {la.Skip(50).Average()}");
        var (c, _) = Make(Options(60), seed: 6);
        Assert.NotEqual(la, RunSteps(c, 5).Concat(la.Skip(5)).ToList());
    }

    [Fact]
    public void Dropout_training_is_reproducible_too()
    {
        var cfg = Tiny() with { Dropout = 0.2f, VariationalDropout = true };
        var (a, _) = Make(Options(10), cfg);
        var (b, _) = Make(Options(10), cfg);
        Assert.Equal(RunSteps(a, 10), RunSteps(b, 10));
    }

    [Theory]
    [InlineData("lstm", 0f)]
    [InlineData("rnn", 0.5f)]
    public void Resume_continues_bit_identically(string cell, float omega)
    {
        using var dir = new TempDir();
        var o = Options(16) with { Omega = omega, Tbptt = 4, Optimizer = new OptimizerOptions(OptimizerKind.AdamW, WeightDecay: 0.01f) };
        var cfg = Tiny(cell) with { SplitLayers = omega > 0, Dropout = 0.1f };
        var (full, _) = Make(o, cfg);
        var all = RunSteps(full, 16);

        var (first, _) = Make(o, cfg);
        first.CheckpointPath = dir.File("ck.safetensors");
        int stopAt = 7;
        first.PauseAtStep = stopAt;
        Assert.Equal("stopped", first.Run().StopReason);
        Assert.Equal(stopAt, first.Step);

        var corpus = TextCorpus.FromText(Book);
        var (train, val) = corpus.Split(0.1);
        var resumed = CharLmTrainer.Resume(dir.File("ck.safetensors"), train, val);
        Assert.Equal(stopAt, resumed.Step);
        var rest = RunSteps(resumed, 16);
        Assert.Equal(all.Skip(stopAt), rest);
    }

    [Fact]
    public void A_nan_loss_stops_with_the_step_and_keeps_the_last_checkpoint()
    {
        using var dir = new TempDir();
        var o = Options(400) with { ValEvery = 3, ClipNorm = 0, Schedule = new LearningRateSchedule(ScheduleKind.Constant, 1e-2f), Optimizer = new OptimizerOptions(OptimizerKind.Sgd) };
        var (t, _) = Make(o);
        t.CheckpointPath = dir.File("m.safetensors");
        // inject: after the first checkpoint, poison a weight
        var e = Assert.Throws<TrainingDivergedException>(() => t.Run(ev =>
        {
            if (ev.Kind == TrainingEventKind.Validation && ev.Step == 6) t.Model.Network["head.bias"].Value[0] = float.NaN;
        }));
        Assert.Equal(7, e.Step);
        Assert.Contains("NaN at step 7", e.Message);
        Assert.Contains("step 6", e.Message);
        var saved = CharLmModel.LoadWithFile(dir.File("m.safetensors"));
        Assert.Equal(6, CharLmModel.TrainerMetadata(saved.File)!["step"]!.GetValue<long>());
        Assert.True(float.IsFinite(saved.Model.Network["head.bias"].Value[0]));
        Assert.False(File.Exists(dir.File("m.safetensors.tmp")));

        // a huge learning rate diverges on its own
        var (h, _) = Make(Options(300) with { ClipNorm = 0, Optimizer = new OptimizerOptions(OptimizerKind.Sgd), Schedule = new LearningRateSchedule(ScheduleKind.Constant, 1e38f) });
        Assert.Throws<TrainingDivergedException>(() => h.Run());
    }

    [Fact]
    public void Model_file_round_trips_and_sampling_is_seeded()
    {
        using var dir = new TempDir();
        var (t, _) = Make(Options(30));
        var summary = t.Run();
        Assert.Equal("steps", summary.StopReason);
        Assert.True(double.IsFinite(summary.ValBpc));
        string path = dir.File("m.safetensors");
        t.Model.Save(path);
        var loaded = CharLmModel.Load(path);
        Assert.True(loaded.Vocabulary.SameAs(t.Model.Vocabulary));
        var ids = t.Model.Vocabulary.Encode("the cat sat on the mat.");
        Assert.Equal(CharLmEvaluator.MeanNats(t.Model.Network, ids), CharLmEvaluator.MeanNats(loaded.Network, ids));
        var file = SafetensorsFile.Read(path);
        Assert.Contains("embedding.weight", file.Names);
        Assert.Contains("rnn.weight_hh_l1", file.Names);
        Assert.Contains("head.bias", file.Names);
        Assert.Contains("\"kind\":\"charlm\"", file.Metadata["recur.config"]);

        string Sample(ulong seed) { var s = new CharLmSampler(loaded); s.Prime("the "); return string.Concat(s.Generate(40, new SamplingOptions(0.8f, 5), new Rng(seed))); }
        Assert.Equal(Sample(3), Sample(3));
        Assert.Equal(40, Sample(4).EnumerateRunes().Count());
        var g = new CharLmSampler(loaded);
        Assert.Contains("'Z'", Assert.Throws<ArgumentException>(() => g.Prime("Zebra")).Message);
    }

    [Fact]
    public void Streaming_step_matches_the_batch_forward()
    {
        var (t, _) = Make(Options(3));
        RunSteps(t, 3);
        var net = t.Model.Network;
        int[] ids = t.Model.Vocabulary.Encode("a dog sat");
        var batch = net.Forward(ids, ids.Length, 1).ToArray();
        var st = net.CreateStreamState();
        var logits = new float[net.Options.OutputSize];
        var scratch = new Recur.Tensors.ScratchBuffer();
        for (int i = 0; i < ids.Length; i++)
        {
            net.Step(ids[i], st, logits, scratch);
            for (int j = 0; j < logits.Length; j++) Assert.Equal(batch[i * logits.Length + j], logits[j], 4);
        }
    }

    [Fact]
    public void Not_our_files_and_truncated_files_are_clear_errors()
    {
        using var dir = new TempDir();
        var w = new SafetensorsWriter();
        w.Add("x", new float[] { 1, 2 }, 2);
        w.Save(dir.File("plain.safetensors"));
        Assert.Contains("not a Recur model", Assert.Throws<InvalidDataException>(() => CharLmModel.Load(dir.File("plain.safetensors"))).Message);
        File.WriteAllText(dir.File("text.safetensors"), "hello, this is not a model at all");
        Assert.Contains("not a Recur model", Assert.Throws<InvalidDataException>(() => CharLmModel.Load(dir.File("text.safetensors"))).Message);

        var (t, _) = Make(Options(1));
        t.Model.Save(dir.File("m.safetensors"));
        var bytes = File.ReadAllBytes(dir.File("m.safetensors"));
        File.WriteAllBytes(dir.File("cut.safetensors"), bytes[..(bytes.Length - 100)]);
        Assert.Throws<InvalidDataException>(() => CharLmModel.Load(dir.File("cut.safetensors")));
        var w2 = new SafetensorsWriter();
        w2.Metadata["recur.config"] = "{\"format_version\":1,\"kind\":\"esn\"}";
        w2.Save(dir.File("esn.safetensors"));
        Assert.Contains("'esn'", Assert.Throws<InvalidDataException>(() => CharLmModel.Load(dir.File("esn.safetensors"))).Message);
    }

    [Fact]
    public void Tbptt_windows_and_burn_in_count_updates_and_tokens()
    {
        var o = Options(6) with { Seq = 8, Tbptt = 4, TbpttBack = 3 };
        var (t, _) = Make(o);
        Assert.Equal(2, t.WindowsPerBatch);
        RunSteps(t, 6);
        Assert.Equal(6 * 3 * 4, t.Tokens);   // 3 trained steps × 4 streams per update
    }
}
