using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Recur.Data;
using Recur.Diagnostics;
using Recur.Reports;

namespace Recur.Cli;

/// <summary>`recur visualize MODEL TEXTFILE`: records a char model over a text, finds interpretable cells, writes the HTML viewer.</summary>
public static class VisualizeCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("visualize", "What single cells learn: colour a text by a cell's activation (one self-contained HTML page) and find cells that track quotes, line position, brackets, ...");
        var model = new Argument<string>("MODEL") { Description = "char model file (.safetensors, trained or imported)" };
        var text = new Argument<string>("TEXTFILE") { Description = "UTF-8 text to run the model over" };
        var length = new Option<int>("--length") { Description = "characters to record (0: all of the text from --offset)", DefaultValueFactory = _ => 20_000 };
        var offset = new Option<int>("--offset") { Description = "first character of the text to record" };
        var cells = new Option<string>("--cells") { Description = "auto, or cells to list: 3,17 (last layer) or 1:3,2:17 (layer:cell)", DefaultValueFactory = _ => "auto" };
        var regex = new Option<string?>("--regex") { Description = "an extra feature: 1 on characters inside a match of this .NET regular expression" };
        var top = new Option<int>("--top") { Description = "cells listed per feature", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out") { Description = "the HTML report", DefaultValueFactory = _ => "report.html" };
        var json = new Option<bool>("--json") { Description = "print the finder's table as one JSON object" };
        cmd.Arguments.Add(model);
        cmd.Arguments.Add(text);
        foreach (var o in new Option[] { length, offset, cells, regex, top, output, json }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            string modelPath = pr.GetValue(model)!, textPath = pr.GetValue(text)!, outPath = pr.GetValue(output)!;
            int len = pr.GetValue(length), off = pr.GetValue(offset), topN = pr.GetValue(top);
            if (len < 0 || off < 0) throw new UserException("--length and --offset must be ≥ 0");
            if (topN < 1) throw new UserException($"--top must be ≥ 1, got {topN}");
            var userRegex = ParseRegex(pr.GetValue(regex));
            var watch = Stopwatch.StartNew();
            var m = CliCommon.LoadModel(modelPath);
            var chosen = CellList.Parse(pr.GetValue(cells)!, m.Config.Layers, m.Config.Hidden);   // cells: tanh(c) of an LSTM, h otherwise
            var ids = ReadIds(textPath, off, len, m.Vocabulary);

            var recording = ActivationRecording.Record(m, ids);
            var features = TextFeatures.All(recording.CodePoints, userRegex);
            var ranking = CellFinder.Rank(features, recording.Layers.Select(l => l.Cells).ToList(), recording.Length, topN);
            var report = new ActivationReportOptions
            {
                Title = $"{Path.GetFileName(modelPath)} on {Path.GetFileName(textPath)}",
                Footer = $"{modelPath}: {m.Config.Cell} {m.Config.Layers}×{m.Config.Hidden} · {textPath} [{off}, {off + ids.Length}) · {ids.Length:N0} characters",
                Initial = chosen.Count > 0 ? chosen[0] : null,
                Chosen = chosen,
            };
            ActivationReport.Save(outPath, recording, ranking, report);
            double seconds = watch.Elapsed.TotalSeconds;

            if (pr.GetValue(json))
                CliCommon.WriteJson(stdout, new
                {
                    model = modelPath,
                    text = textPath,
                    offset = off,
                    length = ids.Length,
                    @out = outPath,
                    cell_signal = recording.Layers[0].TanhCell is null ? "h" : "tanh(c)",
                    features = ranking.Select(f => new
                    {
                        feature = f.Feature,
                        description = f.Description,
                        constant = f.Constant,
                        best = f.Best.Select(c => new { layer = c.Layer + 1, cell = c.Unit, r = Math.Round(c.R, 4) }).ToArray(),
                    }).ToArray(),
                    saturation = SaturationSummary.Of(recording),
                    seconds = Math.Round(seconds, 2),
                });
            else
            {
                stdout.WriteLine($"{ids.Length:N0} characters of {textPath} through {modelPath} ({recording.Layers.Count} layer(s), cells = {(recording.Layers[0].TanhCell is null ? "h" : "tanh(c)")}), {seconds:F1} s");
                stdout.WriteLine($"{"feature",-24} best cells by |r| (layer:cell r)");
                foreach (var f in ranking)
                    stdout.WriteLine($"{f.Feature,-24} " + (f.Constant ? "(constant in this text)" : string.Join("  ", f.Best.Select(c => $"{c.Layer + 1}:{c.Unit} {c.R:+0.000;-0.000}"))));
                var sat = SaturationSummary.Of(recording);
                if (sat.Any(l => l.Gates.Count > 0))
                {
                    stdout.WriteLine($"gate saturation (mean fraction of characters < {GateSaturation.Low} | > {GateSaturation.High}; units saturated more than half the time)");
                    foreach (var l in sat)
                        stdout.WriteLine($"  layer {l.Layer}: " + string.Join("  ", l.Gates.Select(g => $"{g.Gate} {g.MeanLeft:F2}|{g.MeanRight:F2} ({g.UnitsMostlyLeft}|{g.UnitsMostlyRight})")));
                }
                stdout.WriteLine($"report: {outPath}");
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    private static Regex? ParseRegex(string? pattern)
    {
        if (pattern is null) return null;
        try { return new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(10)); }
        catch (ArgumentException e) { throw new UserException($"--regex: not a valid regular expression: {e.Message}"); }
    }

    private static int[] ReadIds(string path, int offset, int length, Vocabulary vocabulary)
    {
        if (!File.Exists(path)) throw new UserException($"{path}: no such text file");
        var runes = TextCorpus.ReadText(path).EnumerateRunes().ToArray();
        if (offset >= runes.Length) throw new UserException($"--offset {offset} is past the end of {path} ({runes.Length} characters)");
        int n = length == 0 ? runes.Length - offset : Math.Min(length, runes.Length - offset);
        if (n < 2) throw new UserException($"the slice has {n} character(s): correlations need at least 2");
        var ids = new int[n];
        for (int i = 0; i < n; i++)
        {
            int cp = runes[offset + i].Value;
            if (!vocabulary.TryGetId(cp, out ids[i]))
                throw new UserException($"{path}: character {Vocabulary.Describe(cp)} at position {offset + i} is not in the model's vocabulary");
        }
        return ids;
    }
}
