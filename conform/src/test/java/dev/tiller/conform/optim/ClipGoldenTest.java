package dev.tiller.conform.optim;

import dev.tiller.conform.ShippedCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.List;

/** Every case of the shipped clipping.json (PyTorch 2.11 / Optax 0.2.8) passes with the file's tolerances. */
class ClipGoldenTest {
    @TestFactory
    List<DynamicTest> everyShippedClippingCasePasses() throws IOException {
        return ShippedCases.everyCase("clipping.json", 7, ClipCases::check);
    }
}
