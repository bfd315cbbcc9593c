using System.Text.Json;
using System.Text.RegularExpressions;
using Recur.Diagnostics;
using Recur.Reports;
using Recur.Tests.CharLm;
using Recur.Tests.Diagnostics;

namespace Recur.Tests.Reports;

/// <summary>The activation page: self-contained, and working in headless Chromium.</summary>
public partial class ActivationReportTests
{
    internal static (ActivationRecording Recording, IReadOnlyList<FeatureRanking> Ranking) Planted(int repeats)
    {
        var model = PlantedModels.QuoteCell(unit: 5);
        var rec = ActivationRecording.Record(model, model.Vocabulary.Encode(PlantedModels.Text(repeats)));
        var ranking = CellFinder.Rank(TextFeatures.All(rec.CodePoints, new Regex("whale|soul")), rec.Layers.Select(l => l.Cells).ToList(), rec.Length);
        return (rec, ranking);
    }

    [Fact]
    public void PageIsSelfContained()
    {
        var (rec, ranking) = Planted(2);
        string html = ActivationReport.Render(rec, ranking, new ActivationReportOptions { Title = "<quotes & cells>" });
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*[""']?\s*(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotMatch(new Regex(@"<script[^>]*\bsrc\b", RegexOptions.IgnoreCase), html);
        Assert.Contains("&lt;quotes &amp; cells&gt;", html);
        Assert.DoesNotContain("/*DATA*/", html);
        // The data block parses, and the text cannot end the <script> early.
        var data = DataBlock().Match(html);
        Assert.True(data.Success);
        Assert.DoesNotContain("</", data.Groups[1].Value);
        using var doc = JsonDocument.Parse(data.Groups[1].Value);
        var root = doc.RootElement;
        Assert.Equal(rec.Length, root.GetProperty("length").GetInt32());
        Assert.Equal(string.Concat(rec.CodePoints.Select(char.ConvertFromUtf32)), root.GetProperty("text").GetString());
        var layer = root.GetProperty("layers")[0];
        Assert.Equal(12, layer.GetProperty("cells").GetArrayLength());
        Assert.Equal(rec.Length, Convert.FromBase64String(layer.GetProperty("cells")[5].GetString()!).Length);
        Assert.Equal(new[] { 0, 5 }, new[] { root.GetProperty("initial").GetProperty("l").GetInt32(), root.GetProperty("initial").GetProperty("u").GetInt32() });
        Assert.Equal(rec.Length * 5, root.GetProperty("top").GetArrayLength());
    }

    [Fact]
    public void QuantisationKeepsZeroInTheMiddleAndClamps()
    {
        Assert.Equal(0, ActivationReport.Quantize(-1f, 1f));
        Assert.Equal(255, ActivationReport.Quantize(1f, 1f));
        Assert.Equal(255, ActivationReport.Quantize(7f, 1f));
        Assert.InRange(ActivationReport.Quantize(0f, 1f), 127, 128);
        Assert.Equal(128, ActivationReport.Quantize(float.NaN, 1f));
        Assert.Equal("#f7f7f7", DivergingColourMap.Colour(0));
        Assert.Equal("#b2182b", DivergingColourMap.Colour(1));
        Assert.Equal("#2166ac", DivergingColourMap.Colour(-3));
    }

    [Fact]
    public void UnknownCellsAreRejected()
    {
        var (rec, ranking) = Planted(1);
        var e = Assert.Throws<ArgumentException>(() => ActivationReport.Render(rec, ranking, new ActivationReportOptions { Chosen = [(0, 12)] }));
        Assert.Contains("cell 12 of layer 1", e.Message);
    }

    [Fact]
    public void RendersInHeadlessChromiumWithoutErrorsAndSwitchesCells()
    {
        using var dir = new TempDir();
        var (rec, ranking) = Planted(6);
        string page = dir.File("report.html");
        ActivationReport.Save(page, rec, ranking);
        string url = new Uri(page).AbsoluteUri;

        string dom = HeadlessChromium.DumpDom(url + "#selftest", dir.File("profile-dom"));
        var errors = ErrorsBlock().Match(dom);
        Assert.True(errors.Success, "the page lacks its error box");
        Assert.True(errors.Groups[1].Value.Length == 0, $"script errors: {errors.Groups[1].Value}");
        var self = SelfTest().Match(dom);
        Assert.True(self.Success, "the self-test did not run (no result in the DOM): " + dom[..Math.Min(400, dom.Length)]);
        using var result = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(self.Groups[1].Value));
        var r = result.RootElement;
        Assert.Equal(0, r.GetProperty("errors").GetArrayLength());
        Assert.Equal(rec.Length, r.GetProperty("expected").GetInt32());
        Assert.Equal(rec.Length, r.GetProperty("spans").GetInt32());          // one element per character
        Assert.True(r.GetProperty("changed").GetInt32() > rec.Length / 10, $"choosing another cell changed only {r.GetProperty("changed")} colours");
        Assert.True(r.GetProperty("tooltip").GetBoolean());
        Assert.Equal(1, r.GetProperty("svgs").GetInt32());
        // The static DOM agrees: one span per character in the text box.
        var text = TextBox().Match(dom);
        Assert.True(text.Success);
        Assert.Equal(rec.Length, SpanTag().Matches(text.Groups[1].Value).Count);

        string png = dir.File("report.png");
        HeadlessChromium.Screenshot(url, png, dir.File("profile-shot"));
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 10_000, $"screenshot of {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        string? keep = Environment.GetEnvironmentVariable("RECUR_SCREENSHOT");
        if (!string.IsNullOrEmpty(keep)) File.Copy(png, keep, overwrite: true);
    }

    [GeneratedRegex("<script type=\"application/json\" id=\"recur-data\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex DataBlock();

    [GeneratedRegex("<pre id=\"errors\">(.*?)</pre>", RegexOptions.Singleline)]
    private static partial Regex ErrorsBlock();

    [GeneratedRegex("<pre id=\"selftest\">RECUR-SELFTEST (\\{.*?\\})</pre>", RegexOptions.Singleline)]
    private static partial Regex SelfTest();

    [GeneratedRegex("<div id=\"text\">(.*?)</div>", RegexOptions.Singleline)]
    private static partial Regex TextBox();

    [GeneratedRegex("<span( class=\"q\\d+\")?>")]
    private static partial Regex SpanTag();
}
