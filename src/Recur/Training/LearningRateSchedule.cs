namespace Recur.Training;

public enum ScheduleKind { Constant, Step, Cosine }

/// <summary>
/// The learning rate at each update. Warm-up: for the first <paramref name="WarmupSteps"/> updates the rate
/// rises linearly, lr·(s+1)/W at update s (0-based). After it:
/// constant → lr; step → lr·γ^⌊(s − W)/StepSize⌋; cosine → min + (lr − min)·(1 + cos π·p)/2, where p ∈ [0, 1]
/// is the fraction of training done after warm-up (by updates when the total is known, else by wall-clock
/// budget), so the rate reaches <paramref name="MinRate"/> at the end.
/// </summary>
public sealed record LearningRateSchedule(
    ScheduleKind Kind,
    float BaseRate,
    float MinRate = 0f,
    int WarmupSteps = 0,
    int StepSize = 1000,
    float Gamma = 0.5f)
{
    public static ScheduleKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "constant" => ScheduleKind.Constant,
        "step" => ScheduleKind.Step,
        "cosine" => ScheduleKind.Cosine,
        _ => throw new ArgumentException($"unknown schedule '{name}' (known: constant, step, cosine)"),
    };

    public void Validate()
    {
        if (!(BaseRate > 0) || float.IsInfinity(BaseRate)) throw new ArgumentException($"learning rate must be positive, got {BaseRate}");
        if (!(MinRate >= 0)) throw new ArgumentException($"minimum learning rate must be ≥ 0, got {MinRate}");
        if (WarmupSteps < 0) throw new ArgumentException($"warm-up steps must be ≥ 0, got {WarmupSteps}");
        if (StepSize < 1) throw new ArgumentException($"step size must be ≥ 1, got {StepSize}");
        if (!(Gamma > 0)) throw new ArgumentException($"gamma must be positive, got {Gamma}");
    }

    /// <summary>The rate of update <paramref name="step"/> (0-based); <paramref name="progress"/> ∈ [0, 1] as in the summary (cosine only).</summary>
    public float Rate(long step, double progress)
    {
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        switch (Kind)
        {
            case ScheduleKind.Constant:
                return BaseRate;
            case ScheduleKind.Step:
                return BaseRate * MathF.Pow(Gamma, (step - WarmupSteps) / StepSize);
            default:
                double p = Math.Clamp(progress, 0, 1);
                return (float)(MinRate + (BaseRate - MinRate) * 0.5 * (1 + Math.Cos(Math.PI * p)));
        }
    }

    /// <summary>Cosine progress when the total number of updates is known: (s − W)/(total − W − 1), clamped to [0, 1].</summary>
    public double ProgressBySteps(long step, long totalSteps)
    {
        long span = totalSteps - WarmupSteps - 1;
        if (span <= 0) return 1;
        return Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
    }
}
