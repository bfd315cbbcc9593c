using System.Text.Json;
using System.Text.Json.Nodes;
using Recur.Cells;
using Recur.Data;
using Recur.Interop;
using Recur.Layers;
using Recur.Models;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>The architecture of a character-level language model (<c>recur.config</c>, kind <c>charlm</c>).</summary>
public sealed record CharLmConfig
{
    public int FormatVersion { get; init; } = ModelFile.FormatVersion;
    public string Kind { get; init; } = "charlm";
    public string Cell { get; init; } = "lstm";
    public int VocabSize { get; init; }
    public int Embed { get; init; } = 32;
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Proj { get; init; }
    public float Dropout { get; init; }
    public bool VariationalDropout { get; init; }
    /// <summary>Variational dropout on h₋ inside the recurrence (the same mask at every step).</summary>
    public float RecurrentDropout { get; init; }
    /// <summary>The stack runs as one module per layer (dropout between layers, the Ω penalty).</summary>
    public bool SplitLayers { get; init; }
    public string Init { get; init; } = "default";
    public float? ForgetBias { get; init; } = 1f;
    public int ChronoMaxT { get; init; }

    public CellType CellType => CellTypes.Parse(Cell);

    public SequentialOptions ToSequentialOptions() =>
        new(CellType, Embed, Hidden, Layers, VocabSize, VocabSize, Proj, Dropout, VariationalDropout, SplitLayers, RecurrentDropout);

    public string ToJson() => JsonSerializer.Serialize(this, ModelFile.Json);

    public static CharLmConfig FromJson(JsonObject json, string path)
    {
        CharLmConfig? c;
        try { c = json.Deserialize<CharLmConfig>(ModelFile.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: recur.config is malformed: {e.Message}"); }
        if (c is null) throw new InvalidDataException($"{path}: recur.config is empty");
        try { c.ToSequentialOptions().Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: recur.config: {e.Message}"); }
        return c;
    }
}

/// <summary>
/// A character-level language model: Embedding(V, E) → recurrent stack → Dense(Hout, V) over a
/// <see cref="Vocabulary"/> of code points. Saved as one <c>.safetensors</c> (DESIGN.md §5).
/// </summary>
public sealed class CharLmModel
{
    public CharLmConfig Config { get; }
    public Vocabulary Vocabulary { get; }
    public Sequential Network { get; }

    private CharLmModel(CharLmConfig config, Vocabulary vocabulary, Sequential network)
    {
        Config = config;
        Vocabulary = vocabulary;
        Network = network;
    }

    /// <summary>A freshly initialised model (seeded: the same seed gives the same weights).</summary>
    public static CharLmModel Create(CharLmConfig config, Vocabulary vocabulary, ulong seed)
    {
        config = config with { VocabSize = vocabulary.Count };
        var rng = new Rng(seed);
        var net = new Sequential(config.ToSequentialOptions(), rng);
        var scheme = Initializers.ParseScheme(config.Init);
        foreach (var r in net.Rnn) Initializers.Initialize(r, scheme, rng, config.ForgetBias, config.ChronoMaxT);
        return new CharLmModel(config, vocabulary, net);
    }

    public long ParameterCount => Network.ParameterCount;

    /// <summary>Writes the model file (atomically), with extra tensors and metadata for checkpoints.</summary>
    public void Save(string path, IEnumerable<(string Name, Recur.Tensors.Tensor Value)>? extraTensors = null, string? trainerJson = null)
    {
        var w = new SafetensorsWriter();
        w.Metadata[ModelFile.ConfigKey] = Config.ToJson();
        w.Metadata[ModelFile.VocabKey] = Vocabulary.ToJson();
        if (trainerJson is not null) w.Metadata[ModelFile.TrainerKey] = trainerJson;
        foreach (var (name, p) in Network.NamedParameters) w.Add(name, p.Value);
        if (extraTensors is not null)
            foreach (var (name, t) in extraTensors) w.Add(name, t);
        w.Save(path);
    }

    /// <summary>Loads a model (or checkpoint) file; anything that is not a Recur char-LM file is a clear <see cref="InvalidDataException"/>.</summary>
    public static CharLmModel Load(string path) => LoadWithFile(path).Model;

    public static (CharLmModel Model, SafetensorsFile File) LoadWithFile(string path)
    {
        var (file, json) = ModelFile.Open(path, "charlm");
        var config = CharLmConfig.FromJson(json, path);
        if (!file.Metadata.TryGetValue(ModelFile.VocabKey, out var vocabJson))
            throw new InvalidDataException($"{path}: no {ModelFile.VocabKey} in its metadata");
        Vocabulary vocab;
        try { vocab = Vocabulary.FromJson(vocabJson); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
        if (vocab.Count != config.VocabSize)
            throw new InvalidDataException($"{path}: recur.vocab has {vocab.Count} characters but recur.config says vocab_size {config.VocabSize}");
        var net = new Sequential(config.ToSequentialOptions(), new Rng(0));
        ModelFile.LoadParameters(file, net.NamedParameters, path);
        return (new CharLmModel(config, vocab, net), file);
    }

    /// <summary>The <c>recur.trainer</c> metadata of a checkpoint, or null.</summary>
    public static JsonObject? TrainerMetadata(SafetensorsFile file)
        => file.Metadata.TryGetValue(ModelFile.TrainerKey, out var s) ? JsonNode.Parse(s) as JsonObject : null;
}
