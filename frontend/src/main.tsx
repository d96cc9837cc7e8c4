import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider, createBrowserRouter } from "react-router";
import { attachRouter } from "./router";
import { routes } from "./routes";
import { keepSignedIn, queryClient } from "./services";
import "./styles.css";
import "./screens.css";

keepSignedIn();

const router = createBrowserRouter(routes);
attachRouter(router);

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  );
}
