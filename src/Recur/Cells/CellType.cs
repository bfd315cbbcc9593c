namespace Recur.Cells;

/// <summary>The recurrent cells Recur implements (DESIGN.md §4; equations in docs/fixtures-format.md).</summary>
public enum CellType
{
    /// <summary>torch.nn.LSTM, gates i, f, g, o.</summary>
    Lstm,
    /// <summary>LSTM with peepholes: i, f see c_{t-1}; o sees c_t.</summary>
    LstmPeephole,
    /// <summary>LSTM with coupled input/forget gates, i = 1 − f (input rows unused).</summary>
    LstmCoupled,
    /// <summary>torch.nn.GRU, reset-after: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).</summary>
    Gru,
    /// <summary>Cho et al. 2014: n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).</summary>
    GruResetBefore,
    /// <summary>Elman RNN, h = tanh(...).</summary>
    RnnTanh,
    /// <summary>Elman RNN, h = max(0, ...).</summary>
    RnnRelu,
}

public static class CellTypes
{
    /// <summary>Gate blocks per weight matrix: LSTM 4, GRU 3, RNN 1.</summary>
    public static int Gates(this CellType cell) => cell switch
    {
        CellType.Lstm or CellType.LstmPeephole or CellType.LstmCoupled => 4,
        CellType.Gru or CellType.GruResetBefore => 3,
        _ => 1,
    };

    public static bool IsLstm(this CellType cell) => cell.Gates() == 4;

    public static bool IsGru(this CellType cell) => cell.Gates() == 3;

    /// <summary>The spelling of the command line (`lstm-peephole`).</summary>
    public static string CliName(this CellType cell) => cell switch
    {
        CellType.Lstm => "lstm",
        CellType.LstmPeephole => "lstm-peephole",
        CellType.LstmCoupled => "lstm-coupled",
        CellType.Gru => "gru",
        CellType.GruResetBefore => "gru-reset-before",
        CellType.RnnTanh => "rnn",
        CellType.RnnRelu => "rnn-relu",
        _ => throw new ArgumentOutOfRangeException(nameof(cell)),
    };

    /// <summary>The spelling of the reference fixtures (`lstm_peephole`, `rnn_tanh`).</summary>
    public static string FixtureName(this CellType cell) => cell == CellType.RnnTanh ? "rnn_tanh" : cell.CliName().Replace('-', '_');

    /// <summary>Parses either spelling (`lstm-peephole`, `lstm_peephole`, `rnn`, `rnn-tanh`); unknown names are an error.</summary>
    public static CellType Parse(string name)
    {
        string n = name.Trim().ToLowerInvariant().Replace('_', '-');
        if (n == "rnn-tanh") return CellType.RnnTanh;
        foreach (var c in Enum.GetValues<CellType>())
            if (c.CliName() == n) return c;
        throw new ArgumentException($"unknown cell type '{name}' (known: lstm, lstm-peephole, lstm-coupled, gru, gru-reset-before, rnn, rnn-relu)");
    }
}
