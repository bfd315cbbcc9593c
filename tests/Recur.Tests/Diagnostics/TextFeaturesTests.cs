using System.Text.RegularExpressions;
using Recur.Diagnostics;

namespace Recur.Tests.Diagnostics;

/// <summary>The per-character text features on crafted strings (value after reading each character).</summary>
public class TextFeaturesTests
{
    private static string Bits(float[] v) => string.Concat(v.Select(x => x == 0 ? '0' : '1'));
    private static int[] Cp(string s) => TextFeatures.CodePoints(s);

    [Fact]
    public void AsciiQuotesToggle()
        => Assert.Equal("0011100001110", Bits(TextFeatures.QuoteInside(Cp("a \"bc\" d \"ef\""))));

    [Fact]
    public void TypographicQuotesRunAcrossParagraphsAndReopen()
    {
        // Moby-Dick style: a quotation over two paragraphs reopens the second without closing the first.
        string text = "x “ab\n\n“cd” y";
        Assert.Equal("0011111111000", Bits(TextFeatures.QuoteInside(Cp(text))));
    }

    [Fact]
    public void PositionInLineCountsFromTheNewline()
        => Assert.Equal([1f, 2f, 0f, 1f, 2f, 3f, 0f], TextFeatures.PositionInLine(Cp("ab\ncde\n")));

    [Fact]
    public void BracketDepthNestsAndNeverGoesNegative()
        => Assert.Equal([1f, 2f, 2f, 1f, 0f, 0f, 1f], TextFeatures.Depth(Cp("([x])){")));

    [Fact]
    public void StartOfWordMarksFirstLetters()
        => Assert.Equal("1000100000001", Bits(TextFeatures.StartOfWord(Cp("The whale's 9"))));

    [Fact]
    public void StartOfSentenceFollowsTerminalPunctuationAndSpace()
    {
        string text = "Hi. “Yes!” he said. e.g. x";
        var bits = Bits(TextFeatures.StartOfSentence(Cp(text)));
        Assert.Equal('1', bits[0]);
        Assert.Equal('1', bits[text.IndexOf('Y')]);
        Assert.Equal('1', bits[text.IndexOf('h')]);   // "Yes!” he": a closing quote may sit between the '!' and the space
        Assert.Equal('0', bits[text.IndexOf('s')]);
        Assert.Equal('1', bits[text.IndexOf("e.g", StringComparison.Ordinal)]);
        Assert.Equal('0', bits[text.IndexOf('g')]);
    }

    [Fact]
    public void CommentsForCode()
    {
        string code = "a=1 // note\nb /* x\ny */ c # z\nd";
        var bits = Bits(TextFeatures.Comment(Cp(code)));
        Assert.Equal("0000" + "1111111" + "0" + "00" + "11111" + "1111" + "000" + "111" + "0" + "0", bits);
    }

    [Fact]
    public void BlockCommentOpeningSlashStarSlashDoesNotClose()
        => Assert.Equal("01111110", Bits(TextFeatures.Comment(Cp("a/*/ */b"))));

    [Fact]
    public void RegexMarksMatchedCharactersAcrossSurrogatePairs()
    {
        var v = TextFeatures.RegexMatch(Cp("a😀bb a"), new Regex("b+"));
        Assert.Equal("001100", Bits(v));
        var all = TextFeatures.All(Cp("ab"), new Regex("b"));
        Assert.Equal("regex b", all[^1].Name);
        Assert.Equal(7, all.Count);
    }
}
