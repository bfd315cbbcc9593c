using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Recur.Data;

/// <summary>
/// The characters a character-level model knows: distinct Unicode code points (not UTF-16 units),
/// sorted, each with an id 0..Count−1. Stored in model files as a JSON array of one-code-point strings.
/// </summary>
public sealed class Vocabulary
{
    private readonly int[] _codePoints;
    private readonly Dictionary<int, int> _ids;

    private Vocabulary(int[] sortedCodePoints)
    {
        _codePoints = sortedCodePoints;
        _ids = new Dictionary<int, int>(sortedCodePoints.Length);
        for (int i = 0; i < sortedCodePoints.Length; i++) _ids.Add(sortedCodePoints[i], i);
    }

    public int Count => _codePoints.Length;

    /// <summary>The code point of id <paramref name="id"/>.</summary>
    public int CodePoint(int id) => _codePoints[id];

    /// <summary>The character of id <paramref name="id"/> as a string (one or two UTF-16 units).</summary>
    public string this[int id] => char.ConvertFromUtf32(_codePoints[id]);

    public bool TryGetId(int codePoint, out int id) => _ids.TryGetValue(codePoint, out id);

    public static Vocabulary FromText(string text)
    {
        var set = new HashSet<int>();
        foreach (var r in text.EnumerateRunes()) set.Add(r.Value);
        var cps = set.ToArray();
        Array.Sort(cps);
        return new Vocabulary(cps);
    }

    /// <summary>From code points (any order, no duplicates).</summary>
    public static Vocabulary FromCodePoints(IEnumerable<int> codePoints)
    {
        var cps = codePoints.ToArray();
        Array.Sort(cps);
        for (int i = 1; i < cps.Length; i++)
            if (cps[i] == cps[i - 1]) throw new InvalidDataException($"vocabulary lists {Describe(cps[i])} twice");
        foreach (int cp in cps)
            if (!Rune.IsValid(cp)) throw new InvalidDataException($"vocabulary holds an invalid code point U+{cp:X4}");
        return new Vocabulary(cps);
    }

    /// <summary>Ids of every character of <paramref name="text"/>; a character the vocabulary lacks is an
    /// <see cref="ArgumentException"/> naming it and its position.</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length);
        int pos = 0;
        foreach (var r in text.EnumerateRunes())
        {
            if (!_ids.TryGetValue(r.Value, out int id))
                throw new ArgumentException($"character {Describe(r.Value)} at position {pos} is not in the model's vocabulary ({Count} characters)");
            ids.Add(id);
            pos++;
        }
        return ids.ToArray();
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (int id in ids) sb.Append(this[id]);
        return sb.ToString();
    }

    /// <summary>A character for messages: <c>'x' (U+0078)</c>, control characters by code only.</summary>
    public static string Describe(int codePoint)
    {
        string code = $"U+{codePoint:X4}";
        if (!Rune.IsValid(codePoint)) return code;
        var cat = Rune.GetUnicodeCategory(new Rune(codePoint));
        bool printable = cat is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
        return printable ? $"'{char.ConvertFromUtf32(codePoint)}' ({code})" : code;
    }

    /// <summary>JSON array of one-character strings, the form of <c>recur.vocab</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(_codePoints.Select(cp => char.ConvertFromUtf32(cp)).ToArray());

    public static Vocabulary FromJson(string json)
    {
        string[]? items;
        try { items = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException e) { throw new InvalidDataException($"recur.vocab is not a JSON array of strings: {e.Message}"); }
        if (items is null || items.Length == 0) throw new InvalidDataException("recur.vocab is empty");
        var cps = new List<int>(items.Length);
        foreach (var s in items)
        {
            var runes = (s ?? "").EnumerateRunes().ToArray();
            if (runes.Length != 1) throw new InvalidDataException($"recur.vocab entry \"{s}\" is not exactly one character");
            cps.Add(runes[0].Value);
        }
        return FromCodePoints(cps);
    }

    public bool SameAs(Vocabulary other) => _codePoints.AsSpan().SequenceEqual(other._codePoints);
}

/// <summary>A text as character ids with its vocabulary; loading checks that it is usable for training.</summary>
public sealed class TextCorpus
{
    public string Source { get; }
    public Vocabulary Vocabulary { get; }
    /// <summary>The whole text as ids.</summary>
    public int[] Ids { get; }

    private TextCorpus(string source, Vocabulary vocabulary, int[] ids)
    {
        Source = source;
        Vocabulary = vocabulary;
        Ids = ids;
    }

    /// <summary>Reads a UTF-8 text file. Missing, empty, binary or non-UTF-8 files, and texts with fewer than
    /// two distinct characters, are an <see cref="InvalidDataException"/> (or <see cref="FileNotFoundException"/>).</summary>
    public static TextCorpus Load(string path, Vocabulary? vocabulary = null)
        => FromText(ReadText(path), path, vocabulary);

    /// <summary>The text of a UTF-8 file (BOM dropped), with the checks of <see cref="Load"/> except the vocabulary.</summary>
    public static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new InvalidDataException($"{path}: the file is empty");
        if (Array.IndexOf(bytes, (byte)0) >= 0) throw new InvalidDataException($"{path}: looks like a binary file (it contains NUL bytes), not text");
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}: not UTF-8 text (invalid byte sequence)");
        }
    }

    /// <summary>A corpus from a string. With <paramref name="vocabulary"/> (a model's) every character must be in it.</summary>
    public static TextCorpus FromText(string text, string source = "text", Vocabulary? vocabulary = null)
    {
        if (text.Length == 0) throw new InvalidDataException($"{source}: the text is empty");
        if (vocabulary is null)
        {
            vocabulary = Vocabulary.FromText(text);
            if (vocabulary.Count < 2)
                throw new InvalidDataException($"{source}: the text has only one distinct character ({Vocabulary.Describe(vocabulary.CodePoint(0))}); nothing to learn");
        }
        int[] ids;
        try { ids = vocabulary.Encode(text); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}"); }
        return new TextCorpus(source, vocabulary, ids);
    }

    /// <summary>Splits off the last <paramref name="validationFraction"/> of the text as validation.</summary>
    public (int[] Train, int[] Validation) Split(double validationFraction)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentException($"validation fraction must be in [0, 1), got {validationFraction}");
        int nVal = (int)Math.Round(Ids.Length * validationFraction);
        if (validationFraction > 0 && nVal < 2) nVal = Math.Min(2, Ids.Length);
        int nTrain = Ids.Length - nVal;
        return (Ids[..nTrain], Ids[nTrain..]);
    }
}

/// <summary>
/// Stateful batching for text (DESIGN.md §3, TBPTT): the ids are cut into B parallel streams of
/// equal length; batch k holds characters [k·T, k·T+T) of every stream as inputs and the next
/// character of each as targets, time-major <c>[T, B]</c>. Consecutive batches continue each stream,
/// so the recurrent state can be carried from one batch to the next.
/// </summary>
public sealed class TextStreams
{
    private readonly int[] _ids;

    public int Batch { get; }
    public int Seq { get; }
    /// <summary>Characters per stream.</summary>
    public int StreamLength { get; }
    public int BatchesPerEpoch { get; }
    public long TokensPerEpoch => (long)BatchesPerEpoch * Batch * Seq;

    public TextStreams(int[] ids, int batch, int seq)
    {
        if (batch < 1) throw new ArgumentException($"batch must be ≥ 1, got {batch}");
        if (seq < 1) throw new ArgumentException($"seq must be ≥ 1, got {seq}");
        _ids = ids;
        Batch = batch;
        Seq = seq;
        StreamLength = ids.Length / batch;
        if (StreamLength < seq + 1)
            throw new ArgumentException($"the training text ({ids.Length} characters) is too short for {batch} streams of seq {seq}: each stream needs at least {seq + 1} characters");
        BatchesPerEpoch = (StreamLength - 1) / seq;
    }

    /// <summary>Fills inputs and targets <c>[T, B]</c> (time-major) of batch <paramref name="index"/> of an epoch.</summary>
    public void GetBatch(int index, Span<int> inputs, Span<int> targets)
    {
        if ((uint)index >= (uint)BatchesPerEpoch) throw new ArgumentOutOfRangeException(nameof(index), $"batch {index} outside [0, {BatchesPerEpoch})");
        int T = Seq, B = Batch;
        if (inputs.Length != T * B || targets.Length != T * B) throw new ArgumentException($"inputs and targets must hold T·B = {T * B} ids");
        for (int b = 0; b < B; b++)
        {
            int start = b * StreamLength + index * T;
            for (int t = 0; t < T; t++)
            {
                inputs[t * B + b] = _ids[start + t];
                targets[t * B + b] = _ids[start + t + 1];
            }
        }
    }
}
