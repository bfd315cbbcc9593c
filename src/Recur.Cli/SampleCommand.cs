using System.CommandLine;
using System.Text;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Cli;

/// <summary>`recur sample MODEL`: generates text, streaming characters as they come.</summary>
public static class SampleCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("sample", "Generate text from a character-level model.");
        var model = new Argument<string>("MODEL") { Description = "model file (.safetensors)" };
        var prime = new Option<string?>("--prime") { Description = "text fed to the model first (printed as is)" };
        var length = new Option<int>("--length") { Description = "characters to generate", DefaultValueFactory = _ => 500 };
        var temperature = new Option<float>("--temperature") { Description = "softmax temperature (lower: more conservative)", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "sample among the K most likely characters (0: all)" };
        var greedy = new Option<bool>("--greedy") { Description = "always take the most likely character" };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1UL };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of streaming" };
        cmd.Arguments.Add(model);
        foreach (var o in new Option[] { prime, length, temperature, topK, greedy, seed, json }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            string path = pr.GetValue(model)!;
            int n = pr.GetValue(length);
            if (n < 0) throw new UserException($"--length must be ≥ 0, got {n}");
            var options = new SamplingOptions(pr.GetValue(temperature), pr.GetValue(topK), pr.GetValue(greedy));
            options.Validate();
            var m = CliCommon.LoadModel(path);
            var sampler = new CharLmSampler(m);
            string primeText = pr.GetValue(prime) ?? "";
            try { sampler.Prime(primeText); }
            catch (ArgumentException e) { throw new UserException($"--prime: {e.Message}"); }
            var rng = new Rng(pr.GetValue(seed));
            if (pr.GetValue(json))
            {
                var sb = new StringBuilder();
                foreach (var c in sampler.Generate(n, options, rng)) sb.Append(c);
                CliCommon.WriteJson(stdout, new { model = path, prime = primeText, text = sb.ToString(), length = n, temperature = options.Temperature, top_k = options.TopK, greedy = options.Greedy, seed = pr.GetValue(seed) });
                return CliApp.Ok;
            }
            stdout.Write(primeText);
            foreach (var c in sampler.Generate(n, options, rng))
            {
                stdout.Write(c);
                if (c == "\n") stdout.Flush();
            }
            stdout.WriteLine();
            stdout.Flush();
            return CliApp.Ok;
        });
        return cmd;
    }
}
