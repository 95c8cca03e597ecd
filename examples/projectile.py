"""Differentiable physics: aim a cannon with air drag at a target by gradient descent.

The flight is simulated step by step in a ``while`` loop that runs until the ball lands (so the
number of steps depends on the angle); the landing point is interpolated between the last two
steps. retrograd differentiates through the loop, and gradient descent on the squared miss
distance tunes the launch angle. Saves projectile.png when matplotlib is installed.
"""
import numpy as np

import retrograd as rg

GRAVITY = 9.81


def landing_distance(angle, speed, drag, dt):
    """Horizontal distance (m) at which a ball launched at ``angle`` (radians) and ``speed``
    (m/s) lands, with quadratic air drag, integrated with semi-implicit Euler steps."""
    x, y = 0.0, 0.0
    vx, vy = speed * np.cos(angle), speed * np.sin(angle)
    while y >= 0.0:
        previous_x, previous_y = x, y
        airspeed = np.sqrt(vx * vx + vy * vy)
        vx = vx - dt * drag * airspeed * vx
        vy = vy - dt * (GRAVITY + drag * airspeed * vy)
        x = x + dt * vx
        y = y + dt * vy
    fraction = previous_y / (previous_y - y)      # where between the last two steps y == 0
    return previous_x + fraction * (x - previous_x)


def miss(angle, target, speed, drag, dt):
    """Half the squared distance between the landing point and the target."""
    return 0.5 * (landing_distance(angle, speed, drag, dt) - target) ** 2


def trajectory(angle, speed, drag, dt):
    """The same flight, recording every position (for the plot only; not differentiated)."""
    x, y = 0.0, 0.0
    vx, vy = speed * np.cos(angle), speed * np.sin(angle)
    points = [(x, y)]
    while y >= 0.0:
        airspeed = np.hypot(vx, vy)
        vx -= dt * drag * airspeed * vx
        vy -= dt * (GRAVITY + drag * airspeed * vy)
        x, y = x + dt * vx, y + dt * vy
        points.append((x, y))
    return np.array(points)


def save_plot(angles, target, speed, drag, dt, filename="projectile.png"):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    figure, axes = plt.subplots(figsize=(8, 4))
    for i, angle in enumerate(angles):
        path = trajectory(angle, speed, drag, dt)
        last = i == len(angles) - 1
        axes.plot(path[:, 0], path[:, 1], color="tab:red" if last else "tab:blue",
                  alpha=1.0 if last else 0.3, label=f"step {i}: {np.degrees(angle):.1f}°"
                  if i in (0, len(angles) - 1) else None)
    axes.plot([target], [0.0], "kx", markersize=12, label="target")
    axes.set_xlabel("distance (m)")
    axes.set_ylabel("height (m)")
    axes.set_ylim(bottom=0.0)
    axes.legend()
    figure.tight_layout()
    figure.savefig(filename, dpi=100)
    print("saved", filename)


def main():
    speed, drag, dt, target = 30.0, 0.02, 0.01, 35.0
    angle = np.radians(15.0)
    print(f"launch speed {speed} m/s, drag coefficient {drag} 1/m, target at {target} m")
    farthest = max(landing_distance(a, speed, drag, dt) for a in np.radians([30, 35, 40, 45]))
    print(f"(without drag it could reach {speed ** 2 / GRAVITY:.0f} m; with drag about "
          f"{farthest:.0f} m)")

    dmiss = rg.grad(miss)                  # d miss / d angle, through the while loop
    print("gradient check (max relative error vs central differences):",
          f"{rg.check_grad(miss, angle, target, speed, drag, dt):.1e}")

    angles = [angle]
    learning_rate = 2e-4
    for step in range(30):
        distance = landing_distance(angle, speed, drag, dt)
        slope = dmiss(angle, target, speed, drag, dt)
        if step % 5 == 0:
            print(f"  step {step:2d}: angle {np.degrees(angle):5.2f}°  lands at {distance:6.2f} m"
                  f"  d(miss)/d(angle) = {slope:9.3f}")
        if abs(distance - target) < 1e-3:
            break
        angle = angle - learning_rate * slope
        angles.append(angle)
    distance = landing_distance(angle, speed, drag, dt)
    print(f"after {step} steps: launch at {np.degrees(angle):.2f}° to land at {distance:.3f} m "
          f"(target {target} m, miss {abs(distance - target) * 100:.1f} cm)")
    save_plot(angles, target, speed, drag, dt)
    return 0


if __name__ == "__main__":
    main()
