using System.CommandLine;
using Recur.Data;
using Recur.Tasks;

namespace Recur.Cli;

/// <summary>`recur eval MODEL --data FILE`: cross-entropy over a slice, the state carried through it.</summary>
public static class EvalCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("eval", "Cross-entropy of a character-level model on a text (nats/char and bits/char).");
        var model = new Argument<string>("MODEL") { Description = "model file (.safetensors)" };
        var data = new Option<string>("--data") { Description = "UTF-8 text file", Required = true };
        var offset = new Option<int>("--offset") { Description = "first character of the slice" };
        var length = new Option<int>("--length") { Description = "characters in the slice (0: to the end)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        cmd.Arguments.Add(model);
        foreach (var o in new Option[] { data, offset, length, json }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            string path = pr.GetValue(model)!, dataPath = pr.GetValue(data)!;
            int off = pr.GetValue(offset), len = pr.GetValue(length);
            if (off < 0 || len < 0) throw new UserException("--offset and --length must be ≥ 0");
            var m = CliCommon.LoadModel(path);
            var runes = TextCorpus.ReadText(dataPath).EnumerateRunes().ToArray();
            if (off >= runes.Length) throw new UserException($"--offset {off} is past the end of {dataPath} ({runes.Length} characters)");
            int n = len == 0 ? runes.Length - off : Math.Min(len, runes.Length - off);
            if (n < 2) throw new UserException($"the slice has {n} character(s): evaluation needs at least 2");
            var ids = new int[n];
            for (int i = 0; i < n; i++)
            {
                int cp = runes[off + i].Value;
                if (!m.Vocabulary.TryGetId(cp, out ids[i]))
                    throw new UserException($"{dataPath}: character {Vocabulary.Describe(cp)} at position {off + i} is not in the model's vocabulary");
            }
            double nats = CharLmEvaluator.MeanNats(m.Network, ids);
            double bits = CharLmEvaluator.ToBits(nats);
            if (pr.GetValue(json))
                CliCommon.WriteJson(stdout, new { model = path, data = dataPath, offset = off, length = n, predictions = n - 1, nats_per_char = Math.Round(nats, 6), bits_per_char = Math.Round(bits, 6) });
            else
                stdout.WriteLine($"{dataPath} [{off}, {off + n}): {nats:F4} nats/char, {bits:F4} bits/char over {n - 1:N0} predictions");
            return CliApp.Ok;
        });
        return cmd;
    }
}
