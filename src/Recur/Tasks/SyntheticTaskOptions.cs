using Recur.Cells;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>How a synthetic task is trained. Stop: solved (unless <see cref="KeepGoing"/>), <see cref="Minutes"/> of
/// training wall-clock (evaluation excluded) or <see cref="MaxSteps"/> updates, whichever comes first.</summary>
public sealed record SyntheticTaskOptions
{
    public CellType Cell { get; init; } = CellType.Lstm;
    public int Hidden { get; init; } = 128;
    /// <summary>Null: chrono for LSTM cells, orthogonal otherwise.</summary>
    public InitScheme? Init { get; init; }
    /// <summary>LSTM forget-gate bias for every scheme but chrono.</summary>
    public float ForgetBias { get; init; } = 1f;
    /// <summary>Rescale W_hh to this spectral radius after initialisation (null: leave it).</summary>
    public double? RecurrentScale { get; init; }
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>Null: 3e-3 for Adam/AdamW/RMSProp, 1e-2 for SGD.</summary>
    public float? LearningRate { get; init; }
    public int Batch { get; init; } = 50;
    /// <summary>Global-norm clipping threshold (0: off).</summary>
    public double ClipNorm { get; init; } = 1;
    /// <summary>Truncated BPTT: the gradient is cut every K steps (0: full BPTT). Gradients of all windows of a batch
    /// are summed into one update.</summary>
    public int Tbptt { get; init; }
    public double Minutes { get; init; } = 6;
    public long MaxSteps { get; init; }
    /// <summary>Evaluate on the held-out set every N updates.</summary>
    public int EvalEvery { get; init; } = 50;
    public int HeldOut { get; init; } = 1000;
    /// <summary>Record gradient flow (<see cref="Diagnostics.GradientFlowMonitor"/>) every N updates (0: off).</summary>
    public int GradientFlowEvery { get; init; }
    /// <summary>Train on after the task is solved, until the budget ends.</summary>
    public bool KeepGoing { get; init; }
    public ulong Seed { get; init; } = 1;

    public InitScheme EffectiveInit => Init ?? (Cell.IsLstm() ? InitScheme.Chrono : InitScheme.Orthogonal);
    public float EffectiveLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Sgd ? 1e-2f : 3e-3f);

    public void Validate()
    {
        if (Hidden < 1) throw new ArgumentException($"hidden must be ≥ 1, got {Hidden}");
        if (Batch < 1) throw new ArgumentException($"batch must be ≥ 1, got {Batch}");
        if (ClipNorm < 0 || !double.IsFinite(ClipNorm)) throw new ArgumentException($"clip must be ≥ 0, got {ClipNorm}");
        if (Tbptt < 0) throw new ArgumentException($"tbptt must be ≥ 0, got {Tbptt}");
        if (Minutes < 0 || MaxSteps < 0) throw new ArgumentException("minutes and steps must be ≥ 0");
        if (Minutes == 0 && MaxSteps == 0) throw new ArgumentException("set a budget: minutes or steps");
        if (EvalEvery < 1) throw new ArgumentException($"eval-every must be ≥ 1, got {EvalEvery}");
        if (HeldOut < 1) throw new ArgumentException($"held-out set must have ≥ 1 sequence, got {HeldOut}");
        if (GradientFlowEvery < 0) throw new ArgumentException($"gradient-flow-every must be ≥ 0, got {GradientFlowEvery}");
        if (!(EffectiveLearningRate > 0)) throw new ArgumentException($"learning rate must be positive, got {EffectiveLearningRate}");
        if (RecurrentScale is { } s && !(s > 0 && double.IsFinite(s))) throw new ArgumentException($"recurrent scale must be positive, got {s}");
        if (!float.IsFinite(ForgetBias)) throw new ArgumentException("forget bias must be finite");
    }
}

/// <summary>One evaluation on the held-out set: loss in the training loss's units, the task's metric.</summary>
public sealed record TaskPoint(long Step, double Seconds, double TrainLoss, double TestLoss, double TestMetric);

/// <summary>The outcome of a synthetic-task run. <see cref="SolvedStep"/> and <see cref="SolvedSeconds"/> are the first
/// evaluation that met the criterion (null: not solved). <see cref="Divergence"/> names a NaN/∞ loss or gradient.</summary>
public sealed record SyntheticTaskResult(
    string Task, int Length, long Steps, double Seconds, double WallSeconds,
    IReadOnlyList<TaskPoint> Curve, long? SolvedStep, double? SolvedSeconds, string? Divergence, string StopReason,
    IReadOnlyList<Diagnostics.GradientFlowSnapshot> GradientFlow)
{
    public bool Solved => SolvedStep is not null;
    public bool Diverged => Divergence is not null;
}
