namespace Recur.Reservoir;

/// <summary>The benchmark systems of reservoir computing, integrated with classical Runge–Kutta (RK4).</summary>
public static class Generators
{
    /// <summary>
    /// Mackey–Glass delay equation dx/dt = a·x(t−τ) / (1 + x(t−τ)ⁿ) − b·x(t) (τ = 17: mildly chaotic),
    /// RK4 with step <paramref name="step"/> (τ must be a multiple of it: the delayed value then sits in a
    /// history ring buffer; at half steps it is the mean of its two neighbours, linear interpolation),
    /// sampled every <paramref name="sampleEvery"/> time units, as in Jaeger &amp; Haas 2004.
    /// The history before t = 0 is x = 1.2 plus a small seeded perturbation (seed 0: none, the classic
    /// constant 1.2), and the first <paramref name="transient"/> time units are discarded.
    /// </summary>
    public static double[] MackeyGlass(int samples, int seed = 0, double tau = 17, double a = 0.2, double b = 0.1,
        double n = 10, double step = 0.1, double sampleEvery = 1, double transient = 1000)
    {
        if (samples < 0) throw new ArgumentException($"mackey-glass: negative sample count {samples}");
        if (!(step > 0) || !(tau > 0)) throw new ArgumentException("mackey-glass: step and τ must be positive");
        int delay = (int)Math.Round(tau / step);
        if (Math.Abs(delay * step - tau) > 1e-9 * tau) throw new ArgumentException($"mackey-glass: τ = {tau} must be a multiple of the step {step}");
        int every = (int)Math.Round(sampleEvery / step);
        if (every < 1 || Math.Abs(every * step - sampleEvery) > 1e-9 * sampleEvery) throw new ArgumentException($"mackey-glass: the sampling interval {sampleEvery} must be a multiple of the step {step}");
        int skip = (int)Math.Round(transient / step);

        // ring[(k) % (delay + 1)] holds x at step k for the last delay + 1 steps: x(t − τ) is the oldest.
        var ring = new double[delay + 1];
        var rng = new Random(seed);
        for (int i = 0; i <= delay; i++) ring[i] = 1.2 + (seed == 0 ? 0 : 0.2 * (rng.NextDouble() - 0.5));
        double F(double x, double xd) => a * xd / (1 + Math.Pow(xd, n)) - b * x;

        var result = new double[samples];
        long k = delay;  // index of the current step in the ring's numbering
        double x = ring[k % (delay + 1)];
        long total = skip + (long)samples * every;
        int got = 0;
        for (long s = 0; s < total; s++)
        {
            if (s >= skip && (s - skip) % every == 0) result[got++] = x;
            double xd0 = ring[(k - delay) % (delay + 1)], xd1 = ring[(k - delay + 1) % (delay + 1)];
            double xdh = 0.5 * (xd0 + xd1);
            double k1 = F(x, xd0);
            double k2 = F(x + 0.5 * step * k1, xdh);
            double k3 = F(x + 0.5 * step * k2, xdh);
            double k4 = F(x + step * k3, xd1);
            x += step / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            k++;
            ring[k % (delay + 1)] = x;  // overwrites x at step k − delay − 1, no longer needed
        }
        return result;
    }

    /// <summary>
    /// Lorenz-63 dx/dt = σ(y − x), dy/dt = x(ρ − z) − y, dz/dt = xy − βz, sampled every
    /// <paramref name="sampleEvery"/> time units (RK4 with <paramref name="substeps"/> steps per sample),
    /// after a discarded transient, from (1, 1, 1) plus a seeded perturbation.
    /// Returns [samples, 3] row-major (x, y, z).
    /// </summary>
    public static double[] Lorenz(int samples, int seed = 0, double sigma = 10, double rho = 28, double beta = 8.0 / 3,
        double sampleEvery = 0.02, int substeps = 4, double transient = 50)
    {
        if (samples < 0) throw new ArgumentException($"lorenz: negative sample count {samples}");
        if (substeps < 1 || !(sampleEvery > 0)) throw new ArgumentException("lorenz: needs a positive sampling interval and ≥ 1 substep");
        var rng = new Random(seed);
        double x = 1 + (seed == 0 ? 0 : rng.NextDouble() - 0.5), y = 1 + (seed == 0 ? 0 : rng.NextDouble() - 0.5), z = 1 + (seed == 0 ? 0 : rng.NextDouble() - 0.5);
        double h = sampleEvery / substeps;
        void F(double px, double py, double pz, out double dx, out double dy, out double dz)
        {
            dx = sigma * (py - px); dy = px * (rho - pz) - py; dz = px * py - beta * pz;
        }
        void Rk4()
        {
            F(x, y, z, out var ax, out var ay, out var az);
            F(x + 0.5 * h * ax, y + 0.5 * h * ay, z + 0.5 * h * az, out var bx, out var by, out var bz);
            F(x + 0.5 * h * bx, y + 0.5 * h * by, z + 0.5 * h * bz, out var cx, out var cy, out var cz);
            F(x + h * cx, y + h * cy, z + h * cz, out var dx, out var dy, out var dz);
            x += h / 6 * (ax + 2 * bx + 2 * cx + dx);
            y += h / 6 * (ay + 2 * by + 2 * cy + dy);
            z += h / 6 * (az + 2 * bz + 2 * cz + dz);
        }
        long skip = (long)Math.Round(transient / sampleEvery) * substeps;
        for (long s = 0; s < skip; s++) Rk4();
        var result = new double[samples * 3];
        for (int i = 0; i < samples; i++)
        {
            result[3 * i] = x; result[3 * i + 1] = y; result[3 * i + 2] = z;
            for (int s = 0; s < substeps; s++) Rk4();
        }
        return result;
    }

    /// <summary>The largest Lyapunov exponent of Lorenz-63 at the standard parameters (per time unit).</summary>
    public const double LorenzLyapunov = 0.906;
}
