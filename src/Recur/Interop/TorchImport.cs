using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Recur.Cells;
using Recur.Data;
using Recur.Layers;
using Recur.Models;
using Recur.Tasks;
using Recur.Tensors;

namespace Recur.Interop;

/// <summary>How to read a PyTorch state_dict. Null fields are detected from the file.</summary>
public sealed record TorchImportOptions
{
    /// <summary>A JSON array of one-character strings, in the model's id order.</summary>
    public string? VocabFile { get; init; }
    /// <summary>Require the vocabulary from the file's <c>__metadata__</c> (by default it is used when present).</summary>
    public bool VocabFromMetadata { get; init; }
    /// <summary><c>tanh</c> or <c>relu</c> for an <c>nn.RNN</c> (the state_dict does not say; default tanh).</summary>
    public string? Nonlinearity { get; init; }
    /// <summary>A Recur cell with the same weights layout (e.g. <c>gru-reset-before</c>, <c>lstm-coupled</c>).</summary>
    public string? Cell { get; init; }
    /// <summary>Module names (<c>encoder</c>, <c>lstm</c>, <c>decoder</c>) when detection is ambiguous; <c>none</c> for no embedding/head.</summary>
    public string? Embedding { get; init; }
    public string? Rnn { get; init; }
    public string? Head { get; init; }
}

/// <summary>What an import found and wrote.</summary>
public sealed record TorchImportResult(
    string Kind,
    RecurrentOptions Rnn,
    string RnnModule,
    string? EmbeddingTensor,
    string? HeadTensor,
    int VocabSize,
    string? VocabSource,
    long Parameters,
    IReadOnlyList<string> Notes);

/// <summary>
/// Reads a PyTorch <c>state_dict</c> saved as safetensors — an optional <c>nn.Embedding</c>, an <c>nn.LSTM</c> /
/// <c>nn.GRU</c> / <c>nn.RNN</c> (any layers, bidirectional, proj_size) and an optional <c>nn.Linear</c> head,
/// whatever the module names — and writes a Recur model: a char model (kind <c>charlm</c>, for <c>recur sample</c> /
/// <c>eval</c>) when it has an embedding, a unidirectional stack and a head over the vocabulary, else the bare stack
/// (kind <c>layer</c>). The parts are found from the parameter-name suffixes (<c>weight_ih_l0</c> …) and the shapes;
/// ambiguities and gaps are clear errors that name the flag to settle them.
/// </summary>
public static partial class TorchImport
{
    /// <summary><c>__metadata__</c> keys that may hold the vocabulary (a JSON array of one-character strings).</summary>
    public static readonly string[] VocabKeys = ["vocab", "vocabulary", "chars", "characters", "itos", "recur.vocab"];

    [GeneratedRegex(@"^(?<module>(?:.*\.)?)(?<param>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|peephole_i|peephole_f|peephole_o)_l(?<layer>\d+)(?<rev>_reverse)?$")]
    private static partial Regex RnnName();

    private static readonly string[] EmbeddingHints = ["emb", "encoder", "wte", "token", "lookup"];
    private static readonly string[] HeadHints = ["head", "decoder", "fc", "out", "linear", "classifier", "proj", "lm_"];

    public static TorchImportResult Import(string statePath, string outPath, TorchImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(statePath)) throw new FileNotFoundException($"{statePath}: no such file");
        if (Path.GetFullPath(statePath) == Path.GetFullPath(outPath))
            throw new ArgumentException($"--out {outPath} is the input file: choose another name");
        if (options.VocabFile is not null && options.VocabFromMetadata)
            throw new ArgumentException("give either --vocab FILE or --vocab-from-metadata, not both");
        SafetensorsFile file;
        try { file = SafetensorsFile.Read(statePath); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{statePath}: not a valid safetensors file: {Strip(e.Message)}"); }
        if (file.Metadata.ContainsKey(ModelFile.ConfigKey))
            throw new InvalidDataException($"{statePath}: already a Recur model (it has {ModelFile.ConfigKey}); nothing to import");
        var notes = new List<string>();

        // ---- the recurrent module
        var groups = new Dictionary<string, List<(SafetensorsTensor T, string Param, int Layer, int Dir)>>(StringComparer.Ordinal);
        foreach (var t in file.Tensors)
        {
            var m = RnnName().Match(t.Name);
            if (!m.Success) continue;
            string module = m.Groups["module"].Value;
            if (!groups.TryGetValue(module, out var list)) groups[module] = list = [];
            if (!int.TryParse(m.Groups["layer"].Value, out int layer) || layer > 1000)
                throw new InvalidDataException($"{statePath}: tensor '{t.Name}': layer index {m.Groups["layer"].Value} is out of range");
            list.Add((t, m.Groups["param"].Value, layer, m.Groups["rev"].Success ? 1 : 0));
        }
        if (groups.Count == 0)
            throw new InvalidDataException($"{statePath}: no recurrent layer found (no tensor named like 'lstm.weight_ih_l0'); "
                + $"tensors: {Names(file.Tensors.Select(t => t.ToString()))}");
        string rnnModule;
        if (options.Rnn is { } r)
        {
            rnnModule = r.Length == 0 || r.EndsWith('.') ? r : r + ".";
            if (!groups.ContainsKey(rnnModule))
                throw new ArgumentException($"--rnn {r}: no recurrent module of that name (found: {Names(groups.Keys.Select(Display))})");
        }
        else if (groups.Count > 1)
            throw new InvalidDataException($"{statePath}: ambiguous: {groups.Count} recurrent modules ({Names(groups.Keys.Select(Display))}); choose one with --rnn NAME");
        else rnnModule = groups.Keys.Single();
        var rnnTensors = groups[rnnModule];
        var rnnOptions = DetectRecurrent(statePath, rnnModule, rnnTensors, options, file.Metadata, notes, out bool noBias);

        // ---- embedding and head among the other modules
        var used = new HashSet<string>(rnnTensors.Select(x => x.T.Name), StringComparer.Ordinal);
        if (options.Rnn is not null)
            foreach (var (other, list) in groups.Where(g => g.Key != rnnModule))
            {
                // Chosen with --rnn: the other recurrent modules are left out on purpose.
                foreach (var x in list) used.Add(x.T.Name);
                notes.Add($"recurrent module {Display(other)} left out (--rnn {options.Rnn})");
            }
        var modules = new Dictionary<string, (SafetensorsTensor? W, SafetensorsTensor? B)>(StringComparer.Ordinal);
        var strays = new List<string>();
        foreach (var t in file.Tensors)
        {
            if (used.Contains(t.Name)) continue;
            if (t.Name.EndsWith(".weight", StringComparison.Ordinal) || t.Name == "weight")
            {
                string mod = t.Name[..^"weight".Length];
                modules[mod] = (t, modules.GetValueOrDefault(mod).B);
            }
            else if (t.Name.EndsWith(".bias", StringComparison.Ordinal) || t.Name == "bias")
            {
                string mod = t.Name[..^"bias".Length];
                modules[mod] = (modules.GetValueOrDefault(mod).W, t);
            }
            else strays.Add(t.ToString());
        }
        foreach (var (mod, (w, b)) in modules)
            if (w is null) strays.Add(b!.ToString());
        if (strays.Count > 0)
            throw new InvalidDataException($"{statePath}: tensor(s) that are no part of Embedding → {rnnOptions.Cell.CliName()} → Linear: {Names(strays)}"
                );
        var cands = modules.Where(kv => kv.Value.W is not null).ToDictionary(kv => kv.Key, kv => (W: kv.Value.W!, kv.Value.B));
        int headIn = rnnOptions.OutputSize;
        bool IsEmbedding(string mod) => cands[mod].B is null && cands[mod].W.Shape is [_, var c] && c == rnnOptions.InputSize;
        bool IsHead(string mod) => cands[mod].W.Shape is [var rows, var c] && c == headIn && (cands[mod].B is null || cands[mod].B!.Shape.SequenceEqual([rows]));

        string? emb = Pick(options.Embedding, "--embedding", cands.Keys, IsEmbedding, $"an embedding: weight [V, {rnnOptions.InputSize}] and no bias");
        string? head = Pick(options.Head, "--head", cands.Keys, IsHead, $"a head: weight [O, {headIn}] and bias [O]");
        if (options.Embedding is null || options.Head is null)
            (emb, head) = Resolve(statePath, cands.Keys.ToList(), options, emb, head, IsEmbedding, IsHead, rnnOptions);
        var unused = cands.Keys.Where(k => k != emb && k != head).ToList();
        bool saidNone = "none".Equals(options.Embedding, StringComparison.OrdinalIgnoreCase) || "none".Equals(options.Head, StringComparison.OrdinalIgnoreCase);
        if (unused.Count > 0 && saidNone)
            notes.Add($"left out (--embedding/--head none): {Names(unused.Select(Display))}");
        else if (unused.Count > 0)
            throw new InvalidDataException($"{statePath}: module(s) {string.Join(", ", unused.Select(u => $"'{Display(u)}' (weight {Tensor.ShapeString(cands[u].W.Shape)})"))} fit neither "
                + $"an embedding (weight [V, {rnnOptions.InputSize}], no bias) nor a head (weight [O, {headIn}]) of this {rnnOptions.Cell.CliName()}");

        // ---- write the model
        var rnnSource = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
        foreach (var (t, _, _, _) in rnnTensors) rnnSource[t.Name[rnnModule.Length..]] = t;
        if (emb is null && head is null)
        {
            var rnn = new Recurrent(rnnOptions);
            foreach (var p in rnn.Parameters) Copy(statePath, rnnSource, p.Name, rnnModule, p.Value, noBias);
            LayerModel.Save(rnn, outPath);
            return new TorchImportResult(LayerModel.Kind, rnnOptions, Display(rnnModule), null, null, 0, null,
                rnn.Parameters.Sum(p => (long)p.Value.Length), notes);
        }
        const string alone = "import the recurrent layers alone with --embedding none --head none";
        if (emb is null || head is null)
            throw new InvalidDataException($"{statePath}: a {(emb is null ? "head" : "embedding")} without {(emb is null ? "an embedding" : "a head")}: "
                + $"a Recur char model is Embedding → {rnnOptions.Cell.CliName()} → Linear, or {alone}");
        if (rnnOptions.Bidirectional)
            throw new InvalidDataException($"{statePath}: a bidirectional {rnnOptions.Cell.CliName()} reads the text both ways and cannot generate it left to right as a char model; {alone}");
        var embW = cands[emb].W;
        var (headW, headB) = cands[head];
        int V = embW.Shape[0];
        if (headW.Shape[0] != V)
            throw new InvalidDataException($"{statePath}: the head has {headW.Shape[0]} outputs but the embedding {V} rows: a char model predicts its own vocabulary; {alone}");

        var (tokens, vocabSource) = ReadVocabulary(statePath, file.Metadata, options, V);
        var vocab = Vocabulary.FromCodePoints(tokens);   // sorted by code point: Recur's ids
        var newId = new int[V];
        for (int i = 0; i < V; i++) vocab.TryGetId(tokens[i], out newId[i]);
        if (!newId.Select((n, i) => n == i).All(x => x)) notes.Add("vocabulary reordered by code point (embedding rows and head outputs permuted to match)");

        var config = new CharLmConfig
        {
            Cell = rnnOptions.Cell.CliName(),
            VocabSize = V,
            Embed = rnnOptions.InputSize,
            Hidden = rnnOptions.HiddenSize,
            Layers = rnnOptions.NumLayers,
            Proj = rnnOptions.ProjSize,
        };
        var model = CharLmModel.Create(config, vocab, seed: 0);
        var net = model.Network;
        Permute(embW.ToFloat32(), V, newId, net["embedding.weight"].Value.Span);
        Permute(headW.ToFloat32(), V, newId, net["head.weight"].Value.Span);
        if (headB is not null) Permute(headB.ToFloat32(), V, newId, net["head.bias"].Value.Span);
        else
        {
            net["head.bias"].Value.Clear();
            notes.Add("the head has no bias: zeros");
        }
        foreach (var (name, p) in net.NamedParameters)
            if (name.StartsWith("rnn.", StringComparison.Ordinal)) Copy(statePath, rnnSource, name[4..], rnnModule, p.Value, noBias);
        model.Save(outPath);
        return new TorchImportResult("charlm", rnnOptions, Display(rnnModule), embW.Name, headW.Name, V, vocabSource, model.ParameterCount, notes);
    }

    private static string Display(string module) => module.Length == 0 ? "(top level)" : module.TrimEnd('.');

    private static string Names(IEnumerable<string> names)
    {
        var list = names.ToList();
        return string.Join(", ", list.Take(6).Select(n => $"'{n}'")) + (list.Count > 6 ? $" and {list.Count - 6} more" : "");
    }

    private static string Strip(string message)
    {
        int i = message.IndexOf("': ", StringComparison.Ordinal);
        return message.StartsWith("safetensors file '", StringComparison.Ordinal) && i > 0 ? message[(i + 3)..] : message;
    }

    /// <summary>An explicit --embedding/--head: the module (checked) or null for <c>none</c>; not given: the first candidate (settled by <see cref="Resolve"/>).</summary>
    private static string? Pick(string? option, string flag, IEnumerable<string> modules, Func<string, bool> fits, string what)
    {
        if (option is null) return null;
        if (option.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        string mod = option.Length == 0 || option.EndsWith('.') ? option : option + ".";
        if (!modules.Contains(mod))
            throw new ArgumentException($"{flag} {option}: no module of that name with a weight (found: {Names(modules.Select(Display))})");
        if (!fits(mod)) throw new ArgumentException($"{flag} {option}: its shapes do not fit {what}");
        return mod;
    }

    /// <summary>Assigns the modules not fixed by flags: every other module must become the embedding or the head;
    /// several ways to do that are settled by the names (encoder/embed…, decoder/head…) or are an error.</summary>
    private static (string? Emb, string? Head) Resolve(string path, List<string> modules, TorchImportOptions o, string? emb, string? head,
        Func<string, bool> isEmb, Func<string, bool> isHead, RecurrentOptions rnn)
    {
        var embChoices = o.Embedding is not null ? [emb] : modules.Where(isEmb).Cast<string?>().Append(null).ToList();
        var headChoices = o.Head is not null ? [head] : modules.Where(isHead).Cast<string?>().Append(null).ToList();
        var ways = new List<(string? E, string? H)>();
        foreach (var e in embChoices)
            foreach (var h in headChoices)
            {
                if (e is not null && e == h) continue;
                if (modules.All(m => m == e || m == h)) ways.Add((e, h));
            }
        if (ways.Count == 0) return (emb, head);   // the caller reports the module that fits nowhere
        if (ways.Count > 1)
        {
            static bool Hint(string? m, string[] hints) => m is not null && hints.Any(h => m.Contains(h, StringComparison.OrdinalIgnoreCase));
            var named = ways.Where(w => (w.E is null || Hint(w.E, EmbeddingHints)) && (w.H is null || Hint(w.H, HeadHints))).ToList();
            if (named.Count == 1) return named[0];
            throw new InvalidDataException($"{path}: ambiguous: the modules {Names(modules.Select(Display))} could be the embedding or the head "
                + $"(input size {rnn.InputSize}, output width {rnn.OutputSize}); say which with --embedding NAME and --head NAME (or none)");
        }
        return ways[0];
    }

    private static RecurrentOptions DetectRecurrent(string path, string module, List<(SafetensorsTensor T, string Param, int Layer, int Dir)> tensors,
        TorchImportOptions options, IReadOnlyDictionary<string, string> metadata, List<string> notes, out bool noBias)
    {
        string where = $"{path}: recurrent module {Display(module)}";
        var byKey = new Dictionary<(string, int, int), SafetensorsTensor>();
        foreach (var (t, p, l, d) in tensors) byKey[(p, l, d)] = t;
        int L = tensors.Max(x => x.Layer) + 1;
        int D = tensors.Any(x => x.Dir == 1) ? 2 : 1;
        SafetensorsTensor Need(string p, int l, int d) => byKey.TryGetValue((p, l, d), out var t) ? t
            : throw new InvalidDataException($"{where}: tensor '{module}{p}{Recurrent.Suffix(l, d)}' is missing ({L} layer(s){(D == 2 ? ", bidirectional" : "")} by the names present)");

        var wih0 = Need("weight_ih", 0, 0);
        var whh0 = Need("weight_hh", 0, 0);
        if (wih0.Shape.Length != 2 || whh0.Shape.Length != 2)
            throw new InvalidDataException($"{where}: weight_ih_l0 {Tensor.ShapeString(wih0.Shape)} and weight_hh_l0 {Tensor.ShapeString(whh0.Shape)} must be matrices");
        int P = 0, H;
        if (byKey.TryGetValue(("weight_hr", 0, 0), out var whr0))
        {
            if (whr0.Shape.Length != 2) throw new InvalidDataException($"{where}: weight_hr_l0 {Tensor.ShapeString(whr0.Shape)} must be a matrix [proj_size, hidden_size]");
            P = whr0.Shape[0];
            H = whr0.Shape[1];
        }
        else H = whh0.Shape[1];
        if (H < 1 || wih0.Shape[0] % H != 0)
            throw new InvalidDataException($"{where}: weight_ih_l0 has {wih0.Shape[0]} rows, not a multiple of the hidden size {H}");
        int G = wih0.Shape[0] / H;
        bool peephole = byKey.Keys.Any(k => k.Item1.StartsWith("peephole", StringComparison.Ordinal));
        CellType cell = G switch
        {
            4 => peephole ? CellType.LstmPeephole : CellType.Lstm,
            3 => CellType.Gru,
            1 => CellType.RnnTanh,
            _ => throw new InvalidDataException($"{where}: weight_ih_l0 has {wih0.Shape[0]} = {G} × {H} rows: not an LSTM (4 gates), GRU (3) or RNN (1)"),
        };
        if (G == 1)
        {
            string? nl = options.Nonlinearity;
            if (nl is null && metadata.TryGetValue("nonlinearity", out var m)) { nl = m; notes.Add($"nonlinearity '{m}' from the file's metadata"); }
            if (nl is null) notes.Add("nn.RNN: the state_dict does not say its nonlinearity; tanh assumed (--nonlinearity relu otherwise)");
            cell = (nl ?? "tanh").Trim().ToLowerInvariant() switch
            {
                "tanh" => CellType.RnnTanh,
                "relu" => CellType.RnnRelu,
                _ => throw new ArgumentException($"--nonlinearity {nl}: expected tanh or relu"),
            };
        }
        else if (options.Nonlinearity is not null)
            throw new ArgumentException($"--nonlinearity applies to nn.RNN; this module is an {(G == 4 ? "LSTM" : "GRU")}");
        if (options.Cell is { } c)
        {
            var over = CellTypes.Parse(c);
            if (over.Gates() != G)
                throw new ArgumentException($"--cell {c}: {over.Gates()} gate block(s), but the weights hold {G}");
            if ((over == CellType.LstmPeephole) != peephole)
                throw new ArgumentException($"--cell {c}: the file {(peephole ? "has" : "has no")} peephole tensors");
            cell = over;
        }
        if (P > 0 && !cell.IsLstm()) throw new InvalidDataException($"{where}: weight_hr (a projection) belongs to an LSTM only");
        int I = wih0.Shape[1];
        var opts = new RecurrentOptions(cell, I, H, L, D == 2, P);
        try { opts.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: {e.Message}"); }

        // Every tensor the options imply, with its shape; biases may all be absent (bias=False).
        int hout = opts.StateSize;
        int biases = 0;
        var missingBias = new List<(string, int, int)>();
        var expected = new HashSet<(string, int, int)>();
        for (int l = 0; l < L; l++)
            for (int d = 0; d < D; d++)
            {
                int input = l == 0 ? I : opts.OutputSize;
                void Check(string p, params int[] shape)
                {
                    expected.Add((p, l, d));
                    var t = Need(p, l, d);
                    if (!t.Shape.AsSpan().SequenceEqual(shape))
                        throw new InvalidDataException($"{where}: tensor '{t.Name}' has shape {Tensor.ShapeString(t.Shape)}, expected {Tensor.ShapeString(shape)} "
                            + $"({cell.CliName()}, input {I}, hidden {H}{(P > 0 ? $", proj {P}" : "")}, {L} layer(s){(D == 2 ? ", bidirectional" : "")})");
                }
                Check("weight_ih", G * H, input);
                Check("weight_hh", G * H, hout);
                if (P > 0) Check("weight_hr", P, H);
                if (cell == CellType.LstmPeephole)
                {
                    Check("peephole_i", H);
                    Check("peephole_f", H);
                    Check("peephole_o", H);
                }
                foreach (var b in new[] { "bias_ih", "bias_hh" })
                {
                    if (byKey.ContainsKey((b, l, d))) { biases++; Check(b, G * H); }
                    else missingBias.Add((b, l, d));
                }
            }
        if (biases != 0 && missingBias.Count > 0)
            Need(missingBias[0].Item1, missingBias[0].Item2, missingBias[0].Item3);
        noBias = biases == 0;
        if (noBias) notes.Add("the recurrent layers have no biases (bias=False): zeros");
        var extra = byKey.Keys.Where(k => !expected.Contains(k) && !k.Item1.StartsWith("bias", StringComparison.Ordinal)).ToList();
        if (extra.Count > 0)
            throw new InvalidDataException($"{where}: unexpected tensor '{module}{extra[0].Item1}{Recurrent.Suffix(extra[0].Item2, extra[0].Item3)}' for a {cell.CliName()}");
        return opts;
    }

    private static void Copy(string path, Dictionary<string, SafetensorsTensor> source, string name, string module, Tensor target, bool noBias)
    {
        if (!source.TryGetValue(name, out var t))
        {
            if (noBias && name.StartsWith("bias_", StringComparison.Ordinal)) { target.Clear(); return; }
            throw new InvalidDataException($"{path}: tensor '{module}{name}' is missing");
        }
        if (!t.Shape.AsSpan().SequenceEqual(target.Shape))
            throw new InvalidDataException($"{path}: tensor '{t.Name}' has shape {Tensor.ShapeString(t.Shape)}, expected {Tensor.ShapeString(target.Shape)}");
        t.ToFloat32().AsSpan().CopyTo(target.Span);
    }

    /// <summary>Row i of <paramref name="src"/> (V rows) → row newId[i] of <paramref name="dst"/>.</summary>
    private static void Permute(float[] src, int V, int[] newId, Span<float> dst)
    {
        int w = src.Length / V;
        for (int i = 0; i < V; i++) src.AsSpan(i * w, w).CopyTo(dst.Slice(newId[i] * w, w));
    }

    /// <summary>The vocabulary as code points in the model's id order, and where it came from.</summary>
    private static (int[] CodePoints, string Source) ReadVocabulary(string path, IReadOnlyDictionary<string, string> metadata, TorchImportOptions o, int V)
    {
        string json, source;
        if (o.VocabFile is { } vf)
        {
            if (!File.Exists(vf)) throw new FileNotFoundException($"--vocab {vf}: no such file");
            json = File.ReadAllText(vf, Encoding.UTF8);
            source = vf;
        }
        else
        {
            string? key = VocabKeys.FirstOrDefault(metadata.ContainsKey);
            if (key is null)
                throw new InvalidDataException($"{path}: no vocabulary: its __metadata__ has none of {string.Join(", ", VocabKeys)}{(o.VocabFromMetadata ? "" : "; give --vocab FILE (a JSON array of the characters in id order)")}");
            json = metadata[key];
            source = $"__metadata__.{key}";
        }
        string[]? items;
        try
        {
            using var doc = JsonDocument.Parse(json);
            items = doc.RootElement.ValueKind switch
            {
                JsonValueKind.Array => doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidDataException($"{source}: entry {e.GetRawText()} is not a string")).ToArray(),
                JsonValueKind.String => doc.RootElement.GetString()!.EnumerateRunes().Select(r => r.ToString()).ToArray(),
                _ => null,
            };
        }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not a JSON array of characters: {e.Message}"); }
        if (items is null) throw new InvalidDataException($"{source}: not a JSON array of characters");
        if (items.Length != V)
            throw new InvalidDataException($"{source}: {items.Length} characters, but the embedding has {V} rows");
        var cps = new int[V];
        var seen = new Dictionary<int, int>();
        for (int i = 0; i < V; i++)
        {
            var runes = items[i].EnumerateRunes().ToArray();
            if (runes.Length != 1) throw new InvalidDataException($"{source}: entry {i} \"{items[i]}\" is not exactly one character");
            cps[i] = runes[0].Value;
            if (!seen.TryAdd(cps[i], i)) throw new InvalidDataException($"{source}: {Vocabulary.Describe(cps[i])} appears twice (ids {seen[cps[i]]} and {i})");
        }
        return (cps, source);
    }
}
