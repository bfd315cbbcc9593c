using System.Text;
using System.Text.RegularExpressions;

namespace Recur.Diagnostics;

/// <summary>A named per-character signal of a text, aligned with the characters (code points) of the text.
/// Each value describes the text <em>after</em> its character has been read (the state a network could hold then).</summary>
public sealed record TextFeature(string Name, string Description, float[] Values);

/// <summary>
/// Interpretable per-character features of a text (Karpathy, Johnson &amp; Fei-Fei 2015) for the cell finder.
/// The text is a sequence of code points (one entry per character, as the models read it).
/// </summary>
public static class TextFeatures
{
    public const string InsideQuotes = "inside quotes";
    public const string LinePosition = "position in line";
    public const string BracketDepth = "bracket depth";
    public const string WordStart = "start of word";
    public const string SentenceStart = "start of sentence";
    public const string InsideComment = "inside comment";

    /// <summary>The standard features, plus one for <paramref name="userRegex"/> when given.</summary>
    public static IReadOnlyList<TextFeature> All(IReadOnlyList<int> codePoints, Regex? userRegex = null)
    {
        var list = new List<TextFeature>
        {
            new(InsideQuotes, "1 inside a quotation (ASCII \" toggles; typographic “ opens, ” closes, across paragraphs)", QuoteInside(codePoints)),
            new(LinePosition, "characters since the last newline (0 on the newline)", PositionInLine(codePoints)),
            new(BracketDepth, "nesting depth of ( [ { after the character", Depth(codePoints)),
            new(WordStart, "1 on the first letter or digit of a word", StartOfWord(codePoints)),
            new(SentenceStart, "1 on the first letter or digit of a sentence", StartOfSentence(codePoints)),
            new(InsideComment, "1 inside a code comment: // and # to the end of the line, /* … */", Comment(codePoints)),
        };
        if (userRegex is not null)
            list.Add(new($"regex {userRegex}", $"1 inside a match of /{userRegex}/", RegexMatch(codePoints, userRegex)));
        return list;
    }

    /// <summary>Code points of a string (a surrogate pair is one character).</summary>
    public static int[] CodePoints(string text) => text.EnumerateRunes().Select(r => r.Value).ToArray();

    /// <summary>1 from an opening quote mark up to (not including) its closing mark. ASCII <c>"</c> toggles;
    /// <c>“</c> opens and <c>”</c> closes, and a <c>“</c> inside a quotation keeps it open (a quotation
    /// that runs over several paragraphs reopens each of them without closing the previous one).</summary>
    public static float[] QuoteInside(IReadOnlyList<int> text)
    {
        var v = new float[text.Count];
        bool ascii = false, typographic = false;
        for (int i = 0; i < text.Count; i++)
        {
            switch (text[i])
            {
                case '"': ascii = !ascii; break;
                case '\u201C': typographic = true; break;
                case '\u201D': typographic = false; break;
            }
            v[i] = ascii || typographic ? 1f : 0f;
        }
        return v;
    }

    /// <summary>Characters since the last newline: the newline is 0, the first character of a line 1.</summary>
    public static float[] PositionInLine(IReadOnlyList<int> text)
    {
        var v = new float[text.Count];
        int pos = 0;
        for (int i = 0; i < text.Count; i++)
        {
            pos = text[i] == '\n' ? 0 : pos + 1;
            v[i] = pos;
        }
        return v;
    }

    /// <summary>Nesting depth of round, square and curly brackets after the character (never below 0).</summary>
    public static float[] Depth(IReadOnlyList<int> text)
    {
        var v = new float[text.Count];
        int depth = 0;
        for (int i = 0; i < text.Count; i++)
        {
            if (text[i] is '(' or '[' or '{') depth++;
            else if (text[i] is ')' or ']' or '}') depth = Math.Max(0, depth - 1);
            v[i] = depth;
        }
        return v;
    }

    /// <summary>1 on a letter or digit whose previous character is not a letter, digit or apostrophe.</summary>
    public static float[] StartOfWord(IReadOnlyList<int> text)
    {
        var v = new float[text.Count];
        for (int i = 0; i < text.Count; i++)
            if (IsWordChar(text[i]) && (i == 0 || !(IsWordChar(text[i - 1]) || text[i - 1] is '\'' or '\u2019')))
                v[i] = 1f;
        return v;
    }

    /// <summary>1 on the first letter or digit of the text and on the first one after a <c>.</c>, <c>!</c> or
    /// <c>?</c> that is followed by whitespace (closing quotes and brackets may sit between).</summary>
    public static float[] StartOfSentence(IReadOnlyList<int> text)
    {
        var v = new float[text.Count];
        bool pendingStart = true, sawEnd = false;
        for (int i = 0; i < text.Count; i++)
        {
            int c = text[i];
            if (IsWordChar(c))
            {
                if (pendingStart) v[i] = 1f;
                pendingStart = false;
                sawEnd = false;
            }
            else if (c is '.' or '!' or '?') sawEnd = true;
            else if (IsSpace(c)) { if (sawEnd) pendingStart = true; }
            else if (!(c is '"' or '\'' or ')' or ']' or '\u201D' or '\u2019')) sawEnd = false;
        }
        return v;
    }

    /// <summary>1 inside code comments, their markers included: <c>//</c> and <c>#</c> to the end of the line
    /// (the newline is outside), <c>/*</c> to <c>*/</c> across lines. String literals are not parsed.</summary>
    public static float[] Comment(IReadOnlyList<int> text)
    {
        var v = new float[text.Count];
        bool line = false, block = false;
        int blockStart = -1;   // index of the '/' of the "/*" that opened the block
        for (int i = 0; i < text.Count; i++)
        {
            int c = text[i], next = i + 1 < text.Count ? text[i + 1] : -1;
            if (line)
            {
                if (c == '\n') line = false;
                else v[i] = 1f;
                continue;
            }
            if (block)
            {
                v[i] = 1f;
                if (c == '/' && text[i - 1] == '*' && i - 1 > blockStart + 1) block = false;
                continue;
            }
            if (c == '/' && next == '/' || c == '#') { line = true; v[i] = 1f; }
            else if (c == '/' && next == '*') { block = true; blockStart = i; v[i] = 1f; }
        }
        return v;
    }

    /// <summary>1 on every character inside a match of <paramref name="regex"/> (over the whole text).</summary>
    public static float[] RegexMatch(IReadOnlyList<int> text, Regex regex)
    {
        var v = new float[text.Count];
        var sb = new StringBuilder(text.Count);
        // UTF-16 index of each code point, to map match positions back to characters.
        var utf16ToChar = new List<int>(text.Count);
        for (int i = 0; i < text.Count; i++)
        {
            string s = char.ConvertFromUtf32(text[i]);
            sb.Append(s);
            for (int k = 0; k < s.Length; k++) utf16ToChar.Add(i);
        }
        foreach (Match m in regex.Matches(sb.ToString()))
            for (int k = m.Index; k < m.Index + m.Length; k++) v[utf16ToChar[k]] = 1f;
        return v;
    }

    private static bool IsWordChar(int c) => Rune.IsValid(c) && Rune.IsLetterOrDigit(new Rune(c));
    private static bool IsSpace(int c) => Rune.IsValid(c) && Rune.IsWhiteSpace(new Rune(c));
}
