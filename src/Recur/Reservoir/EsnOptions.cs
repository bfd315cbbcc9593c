namespace Recur.Reservoir;

/// <summary>
/// Hyper-parameters of an echo state network, named as in the literature (and ReservoirPy).
/// Defaults are those of Lukoševičius' "practical guide" Mackey-Glass example.
/// </summary>
public sealed record EsnOptions
{
    /// <summary>N, the reservoir size.</summary>
    public int Units { get; init; } = 1000;
    /// <summary>Fraction of nonzero recurrent weights (each present independently), used when <see cref="InDegree"/> is null.</summary>
    public double Density { get; init; } = 0.01;
    /// <summary>If set, every unit gets exactly this many recurrent inputs instead of a random count.</summary>
    public int? InDegree { get; init; }
    /// <summary>ρ(W) after rescaling.</summary>
    public double SpectralRadius { get; init; } = 1.25;
    /// <summary>a in x_t = (1−a)·x_{t−1} + a·tanh(…); 1 means no leaking.</summary>
    public double Leak { get; init; } = 0.3;
    /// <summary>Input weights are uniform in [−s, s].</summary>
    public double InputScaling { get; init; } = 1.0;
    /// <summary>Bias weights (the constant-1 input) are uniform in [−s, s].</summary>
    public double BiasScaling { get; init; } = 1.0;
    /// <summary>Output-feedback weights W_fb uniform in [−s, s]; 0 switches feedback off.</summary>
    public double FeedbackScaling { get; init; }
    /// <summary>Uniform noise in [−ν, ν] added to tanh(…) while training (a regularizer for closed-loop stability).</summary>
    public double StateNoise { get; init; }
    /// <summary>Initial steps whose states are not used for training (the initial state is forgotten).</summary>
    public int Washout { get; init; } = 100;
    /// <summary>Tikhonov β of the ridge readout.</summary>
    public double Ridge { get; init; } = 1e-8;
    /// <summary>Whether the readout sees the input beside the state: z = [1; u; x] (true) or [1; x].</summary>
    public bool ReadoutInput { get; init; } = true;
    /// <summary>Seeds the weights and the noise.</summary>
    public int Seed { get; init; } = 1;

    internal void Validate()
    {
        if (Units <= 0) throw new ArgumentException($"--units must be positive, got {Units}");
        if (InDegree is null && !(Density > 0 && Density <= 1)) throw new ArgumentException($"--density must be in (0, 1], got {Density}");
        if (!(SpectralRadius > 0) || double.IsInfinity(SpectralRadius)) throw new ArgumentException($"--spectral-radius must be positive, got {SpectralRadius}");
        if (!(Leak > 0 && Leak <= 1)) throw new ArgumentException($"--leak must be in (0, 1], got {Leak}");
        if (!(InputScaling >= 0) || double.IsInfinity(InputScaling)) throw new ArgumentException($"--input-scaling must be ≥ 0, got {InputScaling}");
        if (!(BiasScaling >= 0) || double.IsInfinity(BiasScaling)) throw new ArgumentException($"--bias-scaling must be ≥ 0, got {BiasScaling}");
        if (!(FeedbackScaling >= 0) || double.IsInfinity(FeedbackScaling)) throw new ArgumentException($"--feedback-scaling must be ≥ 0, got {FeedbackScaling}");
        if (!(StateNoise >= 0) || double.IsInfinity(StateNoise)) throw new ArgumentException($"--noise must be ≥ 0, got {StateNoise}");
        if (Washout < 0) throw new ArgumentException($"--washout must be ≥ 0, got {Washout}");
        if (!(Ridge >= 0) || double.IsInfinity(Ridge)) throw new ArgumentException($"--ridge must be ≥ 0, got {Ridge}");
    }
}
