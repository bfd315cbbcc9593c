using System.Text.Json;
using Recur.Cells;
using Recur.Cli;
using Recur.Interop;
using Recur.Layers;
using Recur.Tests.CharLm;

namespace Recur.Tests.Cli;

/// <summary>`recur info` on model kinds other than the language model (here a bare recurrent stack, kind `layer`).</summary>
public class InfoCommandTests
{
    [Fact]
    public void Describes_a_layer_model_in_text_and_json()
    {
        using var dir = new TempDir();
        var rnn = new Recurrent(new RecurrentOptions(CellType.Gru, 5, 7, NumLayers: 2, Bidirectional: true));
        string path = dir.File("gru.safetensors");
        LayerModel.Save(rnn, path);
        long want = rnn.Parameters.Sum(p => (long)p.Value.Length);

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, CliApp.Run(["info", path, "--json"], o, e));
        var j = JsonDocument.Parse(o.ToString()).RootElement;
        Assert.Equal("layer", j.GetProperty("kind").GetString());
        Assert.Equal(want, j.GetProperty("parameters").GetInt64());
        Assert.Equal(rnn.Parameters.Count, j.GetProperty("tensors").GetArrayLength());
        Assert.Equal(7, j.GetProperty("config").GetProperty("hidden_size").GetInt32());

        o = new StringWriter();
        Assert.Equal(0, CliApp.Run(["info", path], o, e));
        Assert.Contains("kind 'layer'", o.ToString());
        Assert.Contains("rnn.weight_hh_l1_reverse", o.ToString());
        Assert.Equal("", e.ToString());
    }
}
